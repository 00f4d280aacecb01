#pragma once
// The ASCII text routines every header reader shares: the HTTP parser, the static-files and WebSocket header
// checks, and the bridge's checks of the headers an application sends. Public because the bridge needs them too.
// Locale-free on purpose: header names, tokens, units and file extensions are ASCII, and <cctype> would follow
// the process locale.

#include <cstddef>
#include <string_view>

namespace engine {

constexpr char to_lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// Lowercases [begin, end) in place. Branch-free over local pointers: names mix cases unpredictably, and stores
/// through std::string would make the compiler reload its bounds every byte (this loop was the HTTP parser's
/// hottest spot).
inline void lowercase_ascii_in_place(char *begin, char *const end) noexcept {
    for (; begin != end; ++begin) {
        const auto c = static_cast<unsigned char>(*begin);
        *begin = static_cast<char>(c | (static_cast<unsigned char>(c - 'A') < 26 ? 0x20 : 0));
    }
}

constexpr bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
    return true;
}

constexpr bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && equals_ignoring_ascii_case(text.substr(0, prefix.size()), prefix);
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

/// RFC 9110 §5.6.2 tchar: the characters of a token (a header name, a subprotocol name).
constexpr bool is_token_char(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// A non-empty run of tchar.
constexpr bool is_token(std::string_view text) noexcept {
    if (text.empty()) return false;
    for (const char c : text)
        if (!is_token_char(c)) return false;
    return true;
}

/// Calls `visit(item)` for each non-empty, OWS-trimmed item of a comma-separated list (a header value, RFC 9110
/// §5.6.1); stops early and returns true when `visit` returns true.
template <typename Visit> constexpr bool for_each_list_item(std::string_view list, Visit &&visit) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view item = trim_whitespace(list.substr(0, comma));
        if (!item.empty() && visit(item)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

/// Whether the comma-separated `list` contains `token`, ignoring ASCII case and the whitespace around items.
constexpr bool list_contains_token(std::string_view list, std::string_view token) noexcept {
    return for_each_list_item(list, [token](std::string_view item) { return equals_ignoring_ascii_case(item, token); });
}

} // namespace engine
