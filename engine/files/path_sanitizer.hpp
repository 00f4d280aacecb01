#pragma once
// Turns the raw (percent-encoded) request path below a static-files mount into a path relative to
// the served root, refusing anything that could name a file outside it. Pure: no filesystem access
// (symlinks are the opener's business: StaticFiles opens with RESOLVE_BENEATH).

#include <optional>
#include <string>
#include <string_view>

namespace engine::files {

/// Percent-decodes `raw_path` segment by segment, drops empty and "." segments (so "//a///b/./c" is
/// "a/b/c"), and returns the segments joined by '/', without a leading or trailing slash; "" names
/// the root itself. Returns nullopt, which the caller answers with 404, when the path:
///  - has a malformed escape ('%' not followed by two hex digits),
///  - decodes to a NUL byte (C file APIs would silently cut the name there),
///  - decodes '/' from "%2f" (a slash inside one segment would let "..%2f" act as a separator),
///  - has a ".." segment, checked after decoding so "%2e%2e" is caught too.
std::optional<std::string> sanitize_request_path(std::string_view raw_path);

} // namespace engine::files
