#pragma once
// A parsed request head. Built by the HTTP parser on a reactor thread; owned by one exchange and
// handed to the handler, which may move it to another thread (the Python bridge builds its scope
// there). All views point into the request's own storage (or at constants), never into recv buffers.
//
// Whatever form the request-target had, the request reads as origin-form + Host: for an absolute-form target
// ("http://host/p?q") `path`, `query` and `host` are its path, query and authority, and the Host header in
// `headers` carries the authority too (added when the request had none). Trailer fields are never in `headers`.

#include "engine/tls.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

struct Header {
    std::string_view name;   ///< lowercased
    std::string_view value;  ///< surrounding whitespace removed
};

/// The address of one end of a connection, formatted once per connection.
struct Endpoint {
    enum class Family : std::uint8_t { none, inet, inet6, unix_path };
    Family family = Family::none;
    std::string host;        ///< textual address ("127.0.0.1", "::1") or the socket path for Unix sockets
    std::uint16_t port = 0;
};

struct Request {
    std::string_view method;        ///< "GET", "POST", ...
    std::string_view target;        ///< raw request-target as received (any form)
    std::string_view path;          ///< raw (still percent-encoded) origin-form path; "*" for OPTIONS *
    std::string_view query;         ///< raw part after '?', without the '?'; empty if none
    std::uint8_t http_major = 1;
    std::uint8_t http_minor = 1;
    std::vector<Header> headers;    ///< in arrival order, duplicates kept
    std::optional<std::uint64_t> content_length;
    bool chunked = false;           ///< Transfer-Encoding: chunked
    bool keep_alive = true;         ///< what the client asked for (HTTP/1.0 default close)
    bool expect_continue = false;   ///< Expect: 100-continue
    bool upgrade = false;           ///< Connection: upgrade + Upgrade: present
    /// A valid WebSocket opening handshake, and WebSockets are on: answer with
    /// Server::accept_websocket or with a denial response (see Handler).
    bool websocket = false;
    bool is_head = false;           ///< method == HEAD (response has no body)
    std::string_view host;          ///< the Host header value (required for HTTP/1.1), or the absolute-form authority

    Endpoint peer;                  ///< filled by the connection
    Endpoint local;
    bool tls = false;
    /// TLS connections: negotiated version, cipher and client certificate (the ASGI `tls` extension).
    /// One object per connection, shared by its requests; immutable, so safe to read on any thread.
    std::shared_ptr<const TlsInfo> tls_info;

    /// Storage the views above point into. Only the parser writes it.
    std::string storage;

    /// First header with this (lowercase) name, if any.
    std::optional<std::string_view> header(std::string_view lowercase_name) const noexcept {
        for (const auto &h : headers)
            if (h.name == lowercase_name) return h.value;
        return std::nullopt;
    }
    bool has_body() const noexcept { return chunked || (content_length && *content_length > 0); }
};

} // namespace engine
