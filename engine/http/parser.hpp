#pragma once
// HTTP/1.1 request parser: a thin wrapper over llhttp that takes bytes and emits events. It touches no
// sockets, so tests feed it raw byte strings. llhttp stays hidden behind a pimpl (STYLE.md: third-party
// headers never leak), which costs one allocation per connection, not per request.
//
// Strict: llhttp runs without lenient flags, and the checks llhttp 8.1 skips (obs-fold, whitespace
// before a colon, CRLF line endings in the head, the chunked framing and the trailers, Host rules and
// syntax, HTTP versions other than 1.0/1.1, transfer codings other than chunked, Transfer-Encoding in
// HTTP/1.0) are done here. Every target form ends up as origin-form + Host in the Request (request_target.hpp),
// and trailer fields are never merged into the headers (trailer_fields.hpp).

#include "engine/config.hpp"
#include "engine/request.hpp"

#include <cstdint>
#include <memory>
#include <string_view>

namespace engine::http {

/// Why a request was rejected. The connection maps each to one canned response (400, 414, 431, 413, 501).
enum class ParseError : std::uint8_t {
    none,
    bad_request,             ///< 400: malformed, ambiguous framing, missing/duplicate Host, bad version, a
                             ///< request-target form the method may not use, a forbidden trailer field
    method_not_allowed,      ///< 405: CONNECT (an origin server opens no tunnels)
    uri_too_long,            ///< 414: request line over Limits::max_request_line
    header_fields_too_large, ///< 431: header section over max_header_bytes, or over max_header_count fields
    payload_too_large,       ///< 413: body over max_body_bytes
    not_implemented,         ///< 501: a Transfer-Encoding other than chunked
};

/// Receives the request body, already de-chunked, as it arrives. The data is only valid during the call.
class BodySink {
  public:
    virtual void on_body_data(std::string_view data) = 0;

  protected:
    ~BodySink() = default;
};

class RequestParser {
  public:
    /// The limits are copied; they are immutable server settings.
    explicit RequestParser(const engine::Limits &limits);
    ~RequestParser();
    RequestParser(const RequestParser &) = delete;
    RequestParser &operator=(const RequestParser &) = delete;

    enum class Status : std::uint8_t { need_more, head_complete, message_complete, error };
    struct Result {
        Status status;
        std::size_t consumed; ///< bytes of the fed data used; the caller feeds the rest again
    };

    /// Consumes bytes; they may be split at any byte boundary across calls and need not outlive the call.
    /// Returns when the head is complete (so the caller can dispatch before the body arrives), when the
    /// message is complete, on error, or when the data is used up (need_more). Body bytes go to `sink`.
    /// After head_complete call feed() again even with an empty view: a message without a body then
    /// completes without further bytes. After message_complete, feed() returns message_complete with
    /// nothing consumed until next_message() is called; after an error it keeps returning error.
    Result feed(std::string_view data, BodySink &sink);

    /// After message_complete: prepare for the next request on the same connection (keep-alive,
    /// pipelining). After an upgrade request the following bytes are parsed as HTTP again.
    void next_message();

    /// The request being parsed; complete from head_complete until next_message().
    engine::Request &request() noexcept;
    const engine::Request &request() const noexcept;
    /// Moves the request out (after head_complete); the parser continues with a fresh one.
    std::unique_ptr<engine::Request> take_request();

    ParseError error() const noexcept;
    /// Human-readable cause of the error, for logs; empty when there is none.
    std::string_view error_reason() const noexcept;
    /// Some bytes of a request have arrived since the last next_message() (header-read timeout applies).
    bool in_message() const noexcept;
    /// Body bytes (de-chunked) delivered for the current message.
    std::uint64_t body_bytes_received() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace engine::http
