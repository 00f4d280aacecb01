#include "files/range.hpp"

#include <limits>
#include <optional>

#include "engine/ascii.hpp"
#include "files/etag.hpp"
#include "http/date_cache.hpp"

namespace engine::files {
namespace {

constexpr std::uint64_t saturated = std::numeric_limits<std::uint64_t>::max();

/// 1*DIGIT, saturating at 2^64-1 so that absurdly long positions still order correctly.
std::optional<std::uint64_t> parse_position(std::string_view digits) noexcept {
    if (digits.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        value = value > (saturated - digit) / 10 ? saturated : value * 10 + digit;
    }
    return value;
}

/// The only non-empty element of a comma list; nullopt if there are none or several.
std::optional<std::string_view> single_list_element(std::string_view list) noexcept {
    std::optional<std::string_view> found;
    while (true) {
        std::size_t comma = list.find(',');
        std::string_view element = trim_whitespace(list.substr(0, comma));
        if (!element.empty()) {
            if (found) return std::nullopt;
            found = element;
        }
        if (comma == std::string_view::npos) return found;
        list.remove_prefix(comma + 1);
    }
}

ByteRange satisfiable(std::uint64_t offset, std::uint64_t length) noexcept {
    return {RangeOutcome::satisfiable, offset, length};
}

constexpr ByteRange whole_file{};
constexpr ByteRange unsatisfiable{RangeOutcome::unsatisfiable, 0, 0};

} // namespace

ByteRange parse_range(std::string_view field_value, std::uint64_t file_size) noexcept {
    std::size_t equals = field_value.find('=');
    if (equals == std::string_view::npos) return whole_file;
    // An origin server must ignore a Range with a unit it does not understand (§14.2).
    if (!equals_ignoring_ascii_case(field_value.substr(0, equals), "bytes")) return whole_file;

    auto spec = single_list_element(field_value.substr(equals + 1));
    if (!spec) return whole_file;
    std::size_t dash = spec->find('-');
    if (dash == std::string_view::npos) return whole_file;
    std::string_view first_text = spec->substr(0, dash);
    std::string_view last_text = spec->substr(dash + 1);

    if (first_text.empty()) {  // suffix-range: the last N bytes
        auto suffix_length = parse_position(last_text);
        if (!suffix_length) return whole_file;
        if (*suffix_length == 0) return unsatisfiable;
        if (file_size == 0) return whole_file;
        std::uint64_t length = *suffix_length < file_size ? *suffix_length : file_size;
        return satisfiable(file_size - length, length);
    }

    auto first = parse_position(first_text);
    if (!first) return whole_file;
    std::uint64_t last = saturated;
    if (!last_text.empty()) {
        auto parsed_last = parse_position(last_text);
        if (!parsed_last) return whole_file;
        last = *parsed_last;
    }
    // "An int-range is invalid if the last-pos value is present and less than the first-pos" (§14.1.1);
    // a range-set of only invalid ranges is answered 416 (§15.5.17).
    if (last < *first || *first >= file_size) return unsatisfiable;
    if (last >= file_size) last = file_size - 1;
    return satisfiable(*first, last - *first + 1);
}

bool if_range_allows_range(std::string_view if_range_value, std::string_view current_etag,
                           std::time_t last_modified, std::time_t now) noexcept {
    std::string_view value = trim_whitespace(if_range_value);
    if (value.starts_with('"') || value.starts_with("W/")) return etags_match_strong(value, current_etag);
    // A date is a strong validator only if the file was last modified at least a second before now
    // (§8.8.2.2): within the same second the file could change again without its date changing.
    if (last_modified > now - 1) return false;
    auto date = http::parse_http_date(value, now);
    return date && *date == last_modified;
}

} // namespace engine::files
