#include "http/request_target.hpp"

#include "http/host_validation.hpp"

namespace engine::http {
namespace {

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr bool is_scheme_char(char c) noexcept {
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// http or https, in any case (RFC 3986 3.1). Of the scheme characters only the upper-case letters lack bit 0x20,
// so setting it lowercases a scheme.
bool is_http_scheme(std::string_view scheme) noexcept {
    constexpr std::string_view https = "https";
    if (scheme.size() != 4 && scheme.size() != 5) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (static_cast<char>(scheme[i] | 0x20) != https[i]) return false;
    return true;
}

// The length of the scheme when `target` starts with `scheme ":"` (RFC 3986 3.1), else 0.
std::size_t scheme_length(std::string_view target) noexcept {
    if (target.empty() || !is_alpha(target.front())) return 0;
    std::size_t length = 1;
    while (length < target.size() && is_scheme_char(target[length])) ++length;
    return length < target.size() && target[length] == ':' ? length : 0;
}

// The host part of a valid Host value (before any port) is not empty: `http://:80/` names no host.
bool has_host(std::string_view authority) noexcept { return !authority.empty() && authority.front() != ':'; }

void split_path_and_query(std::string_view path_and_query, TargetParts &parts) noexcept {
    const std::size_t question_mark = path_and_query.find('?');
    parts.path = path_and_query.substr(0, question_mark);
    parts.query =
        question_mark == std::string_view::npos ? std::string_view{} : path_and_query.substr(question_mark + 1);
}

// absolute-form = absolute-URI, for an http or https URI: scheme "://" authority path-abempty [ "?" query ].
const char *split_absolute_form(std::string_view target, std::size_t scheme_end, TargetParts &parts) noexcept {
    if (!is_http_scheme(target.substr(0, scheme_end)))
        return "absolute-form target with a scheme other than http or https";
    // scheme_end is the ':'; "//" follows it (checked by the caller).
    const std::size_t authority_begin = scheme_end + 3;
    const std::size_t authority_end = target.find_first_of("/?", authority_begin);
    const std::string_view authority = target.substr(authority_begin, authority_end - authority_begin);
    // '@' (userinfo), '#' and anything else outside `uri-host [":" port]` fail the Host syntax.
    if (!has_host(authority) || !is_valid_host(authority)) return "invalid authority in an absolute-form target";
    parts.form = TargetForm::absolute;
    parts.authority = authority;
    if (authority_end == std::string_view::npos || target[authority_end] == '?') {
        // An empty path is "/" in origin-form (RFC 9112 3.2.1). The view is the second '/' of "://", so that it
        // points into the target like every other part.
        parts.path = target.substr(scheme_end + 2, 1);
        parts.query = authority_end == std::string_view::npos ? std::string_view{} : target.substr(authority_end + 1);
        return nullptr;
    }
    split_path_and_query(target.substr(authority_end), parts);
    return nullptr;
}

// authority-form = uri-host ":" port, both present.
bool is_authority_with_port(std::string_view authority) noexcept {
    const std::size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == authority.size() || !has_host(authority)) return false;
    // In "[::1]" the last ':' is inside the IP literal, not before a port.
    if (authority.front() == '[' && authority[colon - 1] != ']') return false;
    return is_valid_host(authority);
}

} // namespace

const char *split_request_target(std::string_view target, TargetParts &parts) noexcept {
    parts = TargetParts{};
    if (target.empty()) return "empty request-target";
    if (target.front() == '/') {
        split_path_and_query(target, parts);
        return nullptr;
    }
    if (target == "*") {
        parts.form = TargetForm::asterisk;
        parts.path = target;
        return nullptr;
    }
    const std::size_t scheme_end = scheme_length(target);
    if (scheme_end != 0 && target.substr(scheme_end + 1).starts_with("//"))
        return split_absolute_form(target, scheme_end, parts);
    // Without "//" after it, "name:" is no scheme: "localhost:8080" is a host and a port.
    if (!is_authority_with_port(target)) return "malformed request-target";
    parts.form = TargetForm::authority;
    parts.authority = target;
    return nullptr;
}

} // namespace engine::http
