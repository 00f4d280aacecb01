#pragma once
// Recognises the HTTP/2 client connection preface (RFC 9113 3.4) at the start of a plain-TCP connection, so
// h2c with prior knowledge (RFC 9113 3.3) shares the HTTP/1 port. Runs once per connection, on its first bytes,
// before the HTTP/1 parser sees any: an HTTP/1 request costs one comparison of at most 24 bytes.

#include <string_view>

namespace engine::http2 {

/// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": what every HTTP/2 client sends first.
inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch {
    http1,     ///< not the preface: an HTTP/1 request (or garbage the HTTP/1 parser answers with 400)
    http2,     ///< the preface, or enough of it to tell (no HTTP/1 method starts with "PRI ")
    need_more, ///< a prefix too short to tell ("P" may start POST, PUT or PATCH)
};

/// Classifies the first bytes received on a connection.
PrefaceMatch match_client_preface(std::string_view first_bytes) noexcept;

} // namespace engine::http2
