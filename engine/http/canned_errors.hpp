#pragma once
// The engine's own error responses (malformed request, limits, timeouts, unhandled app failure):
// one table indexed by an enum, serialized through write_response_head like every other response.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/response_writer.hpp"

namespace engine::http {

enum class CannedError : std::uint8_t {
    bad_request,
    forbidden,
    not_found,
    method_not_allowed,
    request_timeout,
    payload_too_large,
    uri_too_long,
    range_not_satisfiable,
    expectation_failed,
    header_fields_too_large,
    internal_error,
    not_implemented,
    service_unavailable,
    http_version_not_supported,
    count_
};

/// The status code of `error` (404 for not_found, ...); 500 for out-of-range values.
std::uint16_t canned_status(CannedError error) noexcept;

/// Whether the connection may survive this error. Only errors about the resource (403, 404, 405,
/// 416) may; protocol errors leave the request stream in an unknown state and always close.
bool canned_error_may_keep_alive(CannedError error) noexcept;

/// Appends a complete response: status line, "Content-Type: text/plain; charset=utf-8", Date,
/// Server, Content-Length and a short body naming the error (e.g. "Not Found\n"). Connection: close
/// is sent unless `keep_alive` is true and the error allows it. For a request whose head was never
/// understood; assumes an HTTP/1.1 client that is not asking HEAD.
void write_canned_error(std::string &out, CannedError error, std::string_view date, std::string_view server,
                        bool keep_alive);

/// Same, for a request whose head was parsed: honours HEAD (no body), HTTP/1.0 and the client's
/// keep-alive wish. `extra_header_lines` ("Name: value\r\n" lines) carries what some statuses need,
/// e.g. "Allow: GET, HEAD\r\n" for 405 (RFC 9110 15.5.6) or Retry-After for 503.
/// Returns the framing so the caller knows whether to close afterwards.
ResponseFraming write_canned_error(std::string &out, CannedError error, const RequestFacts &req,
                                   std::string_view date, std::string_view server, bool keep_alive,
                                   std::string_view extra_header_lines = {});

} // namespace engine::http
