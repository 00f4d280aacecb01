// The static-path sanitizer on any raw request path. Invariants on what it lets through: a relative path
// (no leading '/') that stays below the root: no ".." segment, no "." or empty segment, no NUL byte, no
// trailing '/'; and it is a fixed point of the decoding: a result without '%' sanitizes to itself.
#include "files/path_sanitizer.hpp"
#include "pieces.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char *>(bytes), size);
    const auto sanitized = engine::files::sanitize_request_path(raw);
    if (!sanitized) return 0;
    const std::string_view path = *sanitized;
    if (path.find('\0') != std::string_view::npos) fuzz::invariant_broken("a sanitized path with a NUL byte");
    if (path.empty()) return 0;  // the root itself
    if (path.front() == '/' || path.back() == '/') fuzz::invariant_broken("a sanitized path with an outer '/'");
    int depth = 0;
    for (std::size_t begin = 0; begin <= path.size();) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view segment = path.substr(begin, end - begin);
        if (segment == "..") fuzz::invariant_broken("a sanitized path with a '..' segment");
        if (segment.empty() || segment == ".") fuzz::invariant_broken("a sanitized path with an empty or '.' segment");
        if (++depth <= 0) fuzz::invariant_broken("a sanitized path leaves the root");
        begin = end + 1;
    }
    if (path.find('%') == std::string_view::npos) {
        const auto again = engine::files::sanitize_request_path(path);
        if (!again || *again != path) fuzz::invariant_broken("sanitizing a sanitized path changed it");
    }
    return 0;
}
