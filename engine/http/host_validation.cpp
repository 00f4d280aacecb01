#include "http/host_validation.hpp"

#include <cstddef>

// The grammar is RFC 3986 section 3.2.2 and Appendix A; the names below are its rule names.
namespace engine::http {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_hex_digit(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool is_unreserved(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

constexpr bool is_sub_delim(char c) noexcept {
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
        return true;
    default:
        return false;
    }
}

bool all_digits(std::string_view text) noexcept {
    for (const char c : text)
        if (!is_digit(c)) return false;
    return true;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4address is a subset of it.
bool is_reg_name(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size() || !is_hex_digit(text[i + 1]) || !is_hex_digit(text[i + 2])) return false;
            i += 2;
        } else if (!is_unreserved(c) && !is_sub_delim(c)) {
            return false;
        }
    }
    return true;
}

// dec-octet: 0-255 without leading zeros ("01" is not one).
bool is_dec_octet(std::string_view text) noexcept {
    if (text.empty() || text.size() > 3 || !all_digits(text)) return false;
    if (text.size() > 1 && text.front() == '0') return false;
    int value = 0;
    for (const char c : text) value = value * 10 + (c - '0');
    return value <= 255;
}

bool is_ipv4_address(std::string_view text) noexcept {
    for (int octet = 0; octet < 4; ++octet) {
        const std::size_t dot = text.find('.');
        if ((octet < 3) == (dot == std::string_view::npos)) return false; // exactly three dots
        if (!is_dec_octet(text.substr(0, dot))) return false;
        text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return true;
}

// h16 = 1*4HEXDIG
bool is_h16(std::string_view text) noexcept {
    if (text.empty() || text.size() > 4) return false;
    for (const char c : text)
        if (!is_hex_digit(c)) return false;
    return true;
}

// IPv6address: eight 16-bit pieces separated by ':', the last two of which may be written as an IPv4 address;
// one "::" stands for one or more zero pieces, so with it at most seven pieces are written.
bool is_ipv6_address(std::string_view text) noexcept {
    if (text.empty()) return false;
    int pieces = 0;
    bool elided = false;
    std::size_t at = 0;
    if (text.starts_with("::")) {
        elided = true;
        at = 2;
        if (at == text.size()) return true;
    }
    for (;;) {
        const std::size_t colon = text.find(':', at);
        const std::string_view piece = text.substr(at, colon == std::string_view::npos ? colon : colon - at);
        if (colon == std::string_view::npos) {
            // ls32: the last 32 bits as h16:h16 or as an IPv4 address.
            if (piece.find('.') != std::string_view::npos) {
                if (!is_ipv4_address(piece)) return false;
                pieces += 2;
            } else {
                if (!is_h16(piece)) return false;
                pieces += 1;
            }
            break;
        }
        if (!is_h16(piece)) return false;
        ++pieces;
        at = colon + 1;
        if (at < text.size() && text[at] == ':') {
            if (elided) return false; // a second "::" would make the address ambiguous
            elided = true;
            if (++at == text.size()) break;
        } else if (at == text.size()) {
            return false; // a single trailing ':'
        }
    }
    return elided ? pieces <= 7 : pieces == 8;
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ); ABNF literals ignore case.
bool is_ipv_future(std::string_view text) noexcept {
    if (text.size() < 4 || (text[0] != 'v' && text[0] != 'V')) return false;
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == text.size()) return false;
    for (std::size_t i = 1; i < dot; ++i)
        if (!is_hex_digit(text[i])) return false;
    for (std::size_t i = dot + 1; i < text.size(); ++i)
        if (!is_unreserved(text[i]) && !is_sub_delim(text[i]) && text[i] != ':') return false;
    return true;
}

} // namespace

bool is_valid_host(std::string_view value) noexcept {
    std::string_view port;
    if (value.starts_with('[')) {
        const std::size_t close = value.find(']');
        if (close == std::string_view::npos) return false;
        const std::string_view literal = value.substr(1, close - 1);
        if (!is_ipv6_address(literal) && !is_ipv_future(literal)) return false;
        const std::string_view rest = value.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return false;
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        // A reg-name has no ':', so the first one starts the port.
        const std::size_t colon = value.find(':');
        if (!is_reg_name(value.substr(0, colon))) return false;
        if (colon != std::string_view::npos) port = value.substr(colon + 1);
    }
    return all_digits(port);
}

} // namespace engine::http
