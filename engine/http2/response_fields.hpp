#pragma once
// The engine's response head as HTTP/2 field lines: `:status` first, the producer's "Name: value\r\n" lines with
// lowercased names (RFC 9113 8.2.2), content-length, date and server, and without the connection-specific fields
// HTTP/2 forbids (RFC 9113 8.2.2: Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade). Pure:
// the fields are views into a caller-owned string, reused across responses, so it is tested field by field.

#include "engine/response.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine::http2 {

struct FieldLine {
    std::string_view name;
    std::string_view value;
};

/// Whether a response with this status carries content (RFC 9110 6.4.1: not 1xx, 204 or 304).
constexpr bool status_allows_body(std::uint16_t status) noexcept {
    return status >= 200 && status != 204 && status != 304;
}

/// Fills `fields` (cleared first) with views into `storage` (cleared and reused). `date` and `server` are left
/// out when empty. Statuses outside 100..999 become 500, as in the HTTP/1 status line.
void build_response_fields(const ResponseHead &head, std::string_view date, std::string_view server,
                           std::string &storage, std::vector<FieldLine> &fields);

/// The trailer fields of "Name: value\r\n" `lines` (ResponsePart::trailer_lines), names lowercased, into `fields`
/// (cleared first) as views into `storage` (cleared and reused), without the fields RFC 9110 6.5.1 forbids as
/// trailers nor the connection-specific ones.
void build_trailer_fields(std::string_view lines, std::string &storage, std::vector<FieldLine> &fields);

} // namespace engine::http2
