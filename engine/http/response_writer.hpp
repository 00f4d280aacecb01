#pragma once
// Serializes HTTP/1.x response heads and chunk framing. Pure: bytes are appended to a caller-owned
// string (reused across requests), nothing touches a socket, so it is tested byte for byte.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/response.hpp"

namespace engine::http {

/// What the response head depends on, copied from the request (the request itself may already
/// have moved to another thread by the time the head is written).
struct RequestFacts {
    std::uint8_t http_minor = 1;    ///< 0 or 1
    bool is_head = false;
    bool client_keep_alive = true;  ///< Request::keep_alive
};

/// How the caller must send the body that follows the head, and what happens afterwards.
struct ResponseFraming {
    bool body_allowed;     ///< false for HEAD, 1xx, 204, 304: any body bytes must be dropped
    bool chunked;          ///< body must be chunk-encoded by the caller (write_chunk_prefix, chunk_suffix, last_chunk)
    bool close_delimited;  ///< HTTP/1.0 without length: body ends when the connection closes
    bool keep_alive;       ///< connection stays open after this response
};

/// ResponseHead without ownership, so fixed heads (canned errors) need no std::string.
struct ResponseHeadView {
    std::uint16_t status = 200;
    std::string_view header_lines;  ///< "Name: value\r\n" lines, without Date/Server/framing/Connection
    std::optional<std::uint64_t> content_length;
    bool close = false;
};

/// Appends status line + head.header_lines + Date + Server + Content-Length or Transfer-Encoding +
/// Connection + blank line to `out`. `date` (an IMF-fixdate, see DateCache) and `server` are
/// omitted when empty. Allocates only if `out` must grow (at most once).
///
/// The status line always says HTTP/1.1 (RFC 9110 2.5: a server sends its highest conforming
/// version). Statuses outside 100..999 are written as 500 so the line stays valid.
/// 1xx heads are interim (or 101, the switch to another protocol): no framing headers and no
/// Connection header are added (a 101 carries its own "Connection: upgrade" in header_lines);
/// keep_alive is reported true since the connection is not closed after them. Do not send 1xx
/// to HTTP/1.0 clients (RFC 9110 15.2); that is the caller's decision.
ResponseFraming write_response_head(std::string &out, const ResponseHeadView &head, const RequestFacts &req,
                                    bool server_keep_alive, std::string_view date, std::string_view server);
ResponseFraming write_response_head(std::string &out, const engine::ResponseHead &head, const RequestFacts &req,
                                    bool server_keep_alive, std::string_view date, std::string_view server);

/// Appends the chunk-size line for a chunk of `size` bytes (lowercase hex), e.g. "1a2b\r\n".
/// `size` must not be 0: an empty chunk is the end of the body (use last_chunk).
void write_chunk_prefix(std::string &out, std::size_t size);
inline constexpr std::string_view chunk_suffix = "\r\n";
/// Terminates a chunked body (no trailers).
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
/// Terminates a chunked body with a trailer section: the lines of `trailer_lines` ("Name: value\r\n") whose
/// fields may be trailers (may_send_as_trailer), then the blank line.
void write_last_chunk(std::string &out, std::string_view trailer_lines);

/// The standard reason phrase ("OK", "Not Found", ...). Unregistered codes get a generic phrase
/// for their class ("Client Error" for 4xx); codes outside 100..599 get "Unknown".
std::string_view reason_phrase(unsigned status) noexcept;

} // namespace engine::http
