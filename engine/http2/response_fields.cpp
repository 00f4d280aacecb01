#include "http2/response_fields.hpp"

#include "engine/ascii.hpp"

#include <fmt/format.h>

#include <array>

namespace engine::http2 {

namespace {

bool connection_specific(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 5> names = {"connection", "keep-alive", "proxy-connection",
                                                              "transfer-encoding", "upgrade"};
    for (std::string_view forbidden : names)
        if (equals_ignoring_ascii_case(name, forbidden)) return true;
    return false;
}

struct Offsets {
    std::size_t name, name_size, value, value_size;
};

} // namespace

void build_response_fields(const ResponseHead &head, std::string_view date, std::string_view server,
                           std::string &storage, std::vector<FieldLine> &fields) {
    // Offsets first, views at the end: `storage` may move while it grows.
    storage.clear();
    fields.clear();
    std::vector<Offsets> offsets;
    offsets.reserve(8);
    const auto add = [&](std::string_view name, std::string_view value, bool lowercase) {
        Offsets at{storage.size(), name.size(), 0, value.size()};
        for (char c : name) storage.push_back(lowercase ? to_lower_ascii(c) : c);
        at.value = storage.size();
        storage.append(value);
        offsets.push_back(at);
    };
    const unsigned status = head.status >= 100 && head.status <= 999 ? head.status : 500;
    add(":status", fmt::format("{}", status), false);

    std::string_view lines = head.header_lines;
    while (!lines.empty()) {
        const std::size_t end = lines.find("\r\n");
        std::string_view line = lines.substr(0, end);
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;  // validated by the producer; never here
        const std::string_view name = line.substr(0, colon);
        if (connection_specific(name)) continue;
        add(name, trim_whitespace(line.substr(colon + 1)), true);
    }
    if (head.content_length && status_allows_body(static_cast<std::uint16_t>(status)))
        add("content-length", fmt::format("{}", *head.content_length), false);
    if (!date.empty()) add("date", date, false);
    if (!server.empty()) add("server", server, false);

    fields.reserve(offsets.size());
    const std::string_view stored = storage;
    for (const Offsets &at : offsets)
        fields.push_back(FieldLine{stored.substr(at.name, at.name_size), stored.substr(at.value, at.value_size)});
}

} // namespace engine::http2
