#pragma once
// The request path as both interfaces present it (ASGI scope["path"], WSGI PATH_INFO): percent-decoded, with the
// mount prefix (url_path_prefix) removed.

#include <string>
#include <string_view>

namespace bridge {

/// Percent-decodes `raw` into `out` ("%2F" -> '/'; '+' stays; a '%' not followed by two hex digits is kept
/// as is, like urllib.parse.unquote). Returns false when nothing needed decoding (`out` is then untouched).
bool percent_decode(std::string_view raw, std::string &out);

/// The decoded path with the mount prefix removed when it starts with it at a segment boundary
/// ("/api/x" under "/api" -> "/x"; "/api" -> ""; "/apix" is not under "/api" and stays).
std::string_view strip_root_path(std::string_view path, std::string_view root_path) noexcept;

} // namespace bridge
