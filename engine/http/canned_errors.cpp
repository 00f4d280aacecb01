#include "http/canned_errors.hpp"

#include <array>

namespace engine::http {
namespace {

struct CannedErrorEntry {
    std::uint16_t status;
    bool may_keep_alive;
};

// Indexed by CannedError; the static_assert below keeps the two in step.
constexpr std::array<CannedErrorEntry, static_cast<std::size_t>(CannedError::count_)> canned_table = {{
    {400, false},  // bad_request
    {403, true},   // forbidden
    {404, true},   // not_found
    {405, true},   // method_not_allowed
    {408, false},  // request_timeout
    {413, false},  // payload_too_large: the unread body would be parsed as the next request
    {414, false},  // uri_too_long
    {416, true},   // range_not_satisfiable
    {417, false},  // expectation_failed
    {431, false},  // header_fields_too_large
    {500, false},  // internal_error
    {501, false},  // not_implemented
    {503, false},  // service_unavailable
    {505, false},  // http_version_not_supported
}};
// A CannedError added without a table row would leave a zero status behind.
constexpr bool every_error_has_a_status() {
    for (const auto &entry : canned_table)
        if (entry.status < 400) return false;
    return true;
}
static_assert(every_error_has_a_status(), "one canned_table row per CannedError");

constexpr std::string_view canned_content_type = "Content-Type: text/plain; charset=utf-8\r\n";

const CannedErrorEntry &entry_for(CannedError error) noexcept {
    static constexpr CannedErrorEntry out_of_range{500, false};
    const auto index = static_cast<std::size_t>(error);
    return index < canned_table.size() ? canned_table[index] : out_of_range;
}

} // namespace

std::uint16_t canned_status(CannedError error) noexcept { return entry_for(error).status; }

bool canned_error_may_keep_alive(CannedError error) noexcept { return entry_for(error).may_keep_alive; }

void write_canned_error(std::string &out, CannedError error, std::string_view date, std::string_view server,
                        bool keep_alive) {
    write_canned_error(out, error, RequestFacts{}, date, server, keep_alive);
}

ResponseFraming write_canned_error(std::string &out, CannedError error, const RequestFacts &req,
                                   std::string_view date, std::string_view server, bool keep_alive,
                                   std::string_view extra_header_lines) {
    const CannedErrorEntry &entry = entry_for(error);
    const std::string_view reason = reason_phrase(entry.status);
    constexpr std::string_view body_end = "\n";

    // The head takes its header lines as one view; a joined string is built only in the rare case
    // of extra lines (405, 503), so the common error path does not allocate.
    std::string joined_lines;
    std::string_view header_lines = canned_content_type;
    if (!extra_header_lines.empty()) {
        joined_lines.reserve(canned_content_type.size() + extra_header_lines.size());
        joined_lines.append(canned_content_type).append(extra_header_lines);
        header_lines = joined_lines;
    }
    const ResponseHeadView head{entry.status, header_lines, reason.size() + body_end.size(),
                                !(keep_alive && entry.may_keep_alive)};
    const ResponseFraming framing = write_response_head(out, head, req, true, date, server);
    if (framing.body_allowed) {
        out.append(reason);
        out.append(body_end);
    }
    return framing;
}

} // namespace engine::http
