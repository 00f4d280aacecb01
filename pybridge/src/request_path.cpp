#include "request_path.hpp"

namespace bridge {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

bool percent_decode(std::string_view raw, std::string &out) {
    std::size_t percent = raw.find('%');
    if (percent == std::string_view::npos) return false;
    out.assign(raw.data(), percent);
    for (std::size_t i = percent; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
            const int high = hex_value(raw[i + 1]);
            const int low = hex_value(raw[i + 2]);
            if (high >= 0 && low >= 0) {
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        out.push_back(raw[i]);
    }
    return true;
}

std::string_view strip_root_path(std::string_view path, std::string_view root_path) noexcept {
    if (root_path.empty() || !path.starts_with(root_path)) return path;
    if (path.size() > root_path.size() && path[root_path.size()] != '/') return path;
    return path.substr(root_path.size());
}

} // namespace bridge
