#pragma once
// The few ASCII text routines the header parsers in this folder share. Locale-free on purpose:
// header names, units and file extensions are ASCII, and <cctype> would follow the process locale.

#include <string_view>

namespace engine::files {

constexpr char to_lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
    return true;
}

/// OWS = *( SP / HTAB ) (RFC 9110 §5.6.3).
constexpr bool is_optional_whitespace(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_leading_whitespace(std::string_view text) noexcept {
    while (!text.empty() && is_optional_whitespace(text.front())) text.remove_prefix(1);
    return text;
}

constexpr std::string_view trim_whitespace(std::string_view text) noexcept {
    text = trim_leading_whitespace(text);
    while (!text.empty() && is_optional_whitespace(text.back())) text.remove_suffix(1);
    return text;
}

} // namespace engine::files
