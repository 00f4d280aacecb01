#include "http/trailer_fields.hpp"

#include "engine/ascii.hpp"

#include <algorithm>
#include <array>

namespace engine::http {
namespace {

// RFC 9110 6.5.1 names the kinds of fields a sender MUST NOT generate as trailers; RFC 7230 4.1.2, which it
// replaces, gave examples of each. The names of each kind, from the sections that define them:
//  - message framing (RFC 9112 6): Content-Length, Transfer-Encoding;
//  - routing (RFC 9110 7.2): Host;
//  - request modifiers: the controls Cache-Control (RFC 9111 5.2), Expect (RFC 9110 10.1.1), Max-Forwards
//    (7.6.2), Pragma (RFC 9111 5.4), Range (RFC 9110 14.2), TE (10.1.4); the conditionals are every If-* field
//    (RFC 9110 13.1: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range; WebDAV's If,
//    RFC 4918 10.4; CalDAV's If-Schedule-Tag-Match), matched in is_forbidden_trailer;
//  - authentication (RFC 9110 11.6, 11.7; RFC 6265 for cookies): Authorization, Proxy-Authorization,
//    WWW-Authenticate, Proxy-Authenticate, Cookie, Set-Cookie. Not Authentication-Info: RFC 9110 11.6.3 lets
//    it be a trailer;
//  - how to process the content (RFC 9110 8.4, 14.4; RFC 9110 6.6.2 for Trailer): Content-Encoding,
//    Content-Type, Content-Range, Trailer.
// Sorted, for the binary search.
constexpr std::array<std::string_view, 19> forbidden_names = {
    "authorization",
    "cache-control",
    "content-encoding",
    "content-length",
    "content-range",
    "content-type",
    "cookie",
    "expect",
    "host",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "www-authenticate",
};

constexpr bool sorted_and_short() {
    for (std::size_t i = 0; i < forbidden_names.size(); ++i) {
        if (forbidden_names[i].size() > TrailerFieldName::kept) return false;
        if (i + 1 < forbidden_names.size() && !(forbidden_names[i] < forbidden_names[i + 1])) return false;
    }
    return true;
}
static_assert(sorted_and_short(), "forbidden_names: sorted, and each one shorter than TrailerFieldName keeps");

bool is_conditional(std::string_view name) noexcept { return name == "if" || name.starts_with("if-"); }

} // namespace

bool is_forbidden_trailer(std::string_view lowercase_name) noexcept {
    if (is_conditional(lowercase_name)) return true;
    return std::binary_search(forbidden_names.begin(), forbidden_names.end(), lowercase_name);
}

bool may_send_as_trailer(std::string_view name) noexcept {
    TrailerFieldName lowercase;
    lowercase.append(name);
    return lowercase.fault() == nullptr;
}

bool next_field_line(std::string_view &lines, FieldLineView &field) noexcept {
    while (!lines.empty()) {
        const std::size_t end = lines.find("\r\n");
        const std::string_view line = lines.substr(0, end);
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        field = FieldLineView{line, line.substr(0, colon), trim_whitespace(line.substr(colon + 1))};
        return true;
    }
    return false;
}

void TrailerFieldName::append(std::string_view piece) noexcept {
    if (piece.empty()) return;
    for (std::size_t i = 0; i < piece.size() && length_ + i < kept; ++i) start_[length_ + i] = to_lower_ascii(piece[i]);
    length_ += piece.size();
    last_ = piece.back();
}

const char *TrailerFieldName::fault() const noexcept {
    // RFC 9112 5.1, as for the head's fields: llhttp 8.1 keeps such whitespace in the name.
    if (length_ != 0 && (last_ == ' ' || last_ == '\t')) return "whitespace between trailer field name and colon";
    const std::string_view start(start_, std::min(length_, kept));
    // A name longer than what is kept is no forbidden name, unless it is an If-* one.
    const bool forbidden = length_ > kept ? is_conditional(start) : is_forbidden_trailer(start);
    return forbidden ? "trailer field that must not be sent as a trailer (RFC 9110 6.5.1)" : nullptr;
}

} // namespace engine::http
