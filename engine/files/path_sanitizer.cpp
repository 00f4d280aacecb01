// Hand-written rather than taken from a library: the decoders Debian ships (curl_easy_unescape,
// g_uri_unescape_string) decode the whole string at once, so "%2f" and a real '/' become
// indistinguishable, and they pass NULs through; here the checks have to see each segment.
#include "files/path_sanitizer.hpp"

namespace engine::files {
namespace {

int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Appends the decoded `segment` to `out`; false on a malformed escape, a NUL or an encoded '/'.
bool append_decoded_segment(std::string_view segment, std::string &out) {
    for (std::size_t i = 0; i < segment.size(); ++i) {
        char c = segment[i];
        if (c == '%') {
            if (i + 2 >= segment.size()) return false;  // needs two more characters
            int high = hex_digit_value(segment[i + 1]);
            int low = hex_digit_value(segment[i + 2]);
            if (high < 0 || low < 0) return false;
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        if (c == '\0' || c == '/') return false;
        out.push_back(c);
    }
    return true;
}

} // namespace

std::optional<std::string> sanitize_request_path(std::string_view raw_path) {
    std::string relative;
    relative.reserve(raw_path.size());
    std::size_t start = 0;
    while (start <= raw_path.size()) {
        std::size_t end = raw_path.find('/', start);
        if (end == std::string_view::npos) end = raw_path.size();
        std::string_view raw_segment = raw_path.substr(start, end - start);
        start = end + 1;
        if (raw_segment.empty()) continue;  // duplicate, leading or trailing slash

        std::size_t segment_begin = relative.size();
        if (segment_begin != 0) relative.push_back('/');
        if (!append_decoded_segment(raw_segment, relative)) return std::nullopt;

        std::string_view decoded = std::string_view(relative).substr(segment_begin + (segment_begin != 0));
        if (decoded == "..") return std::nullopt;
        if (decoded == ".") relative.resize(segment_begin);
    }
    return relative;
}

} // namespace engine::files
