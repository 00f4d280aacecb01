#include "http2/response_fields.hpp"

#include "engine/ascii.hpp"
#include "http/trailer_fields.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace engine::http2 {

namespace {

bool connection_specific(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 5> names = {"connection", "keep-alive", "proxy-connection",
                                                              "transfer-encoding", "upgrade"};
    for (std::string_view forbidden : names)
        if (equals_ignoring_ascii_case(name, forbidden)) return true;
    return false;
}

/// Appends one field to `storage` (reserved by the caller: it must not reallocate) and its views to `fields`.
void add_field(std::string &storage, std::vector<FieldLine> &fields, std::string_view name, std::string_view value,
               bool lowercase) {
    const std::size_t name_at = storage.size();
    storage.append(name);
    if (lowercase)
        for (std::size_t i = name_at; i < storage.size(); ++i) storage[i] = to_lower_ascii(storage[i]);
    const std::size_t value_at = storage.size();
    storage.append(value);
    const std::string_view stored = storage;
    fields.push_back(FieldLine{stored.substr(name_at, name.size()), stored.substr(value_at, value.size())});
}

} // namespace

void build_response_fields(const ResponseHead &head, std::string_view date, std::string_view server,
                           std::string &storage, std::vector<FieldLine> &fields) {
    // Views into `storage` are taken as it fills, so it must not reallocate: it is reserved first for the most
    // this head can take (every field's bytes come from header_lines, the numbers, date and server).
    constexpr std::size_t longest_number = std::numeric_limits<std::uint64_t>::digits10 + 1;
    storage.clear();
    storage.reserve(head.header_lines.size() + 2 * longest_number + date.size() + server.size() + 64);
    fields.clear();
    const auto add = [&](std::string_view name, std::string_view value, bool lowercase) {
        add_field(storage, fields, name, value, lowercase);
    };
    const auto number = [](std::uint64_t value, std::array<char, longest_number> &digits) {
        const auto converted = std::to_chars(digits.data(), digits.data() + digits.size(), value);
        return std::string_view(digits.data(), static_cast<std::size_t>(converted.ptr - digits.data()));
    };
    std::array<char, longest_number> digits{};
    const unsigned status = head.status >= 100 && head.status <= 999 ? head.status : 500;
    add(":status", number(status, digits), false);

    std::string_view lines = head.header_lines;
    http::FieldLineView field;
    while (http::next_field_line(lines, field))
        if (!connection_specific(field.name)) add(field.name, field.value, true);
    if (head.content_length && status_allows_body(static_cast<std::uint16_t>(status)))
        add("content-length", number(*head.content_length, digits), false);
    if (!date.empty()) add("date", date, false);
    if (!server.empty()) add("server", server, false);
}

void build_trailer_fields(std::string_view lines, std::string &storage, std::vector<FieldLine> &fields) {
    storage.clear();
    storage.reserve(lines.size());  // each field is shorter than its line: the views stay valid
    fields.clear();
    http::FieldLineView field;
    while (http::next_field_line(lines, field))
        if (http::may_send_as_trailer(field.name) && !connection_specific(field.name))
            add_field(storage, fields, field.name, field.value, true);
}

} // namespace engine::http2
