#pragma once
// Content-Type for a file name, from its extension.

#include <string_view>

namespace engine::files {

inline constexpr std::string_view default_mime_type = "application/octet-stream";

/// The Content-Type for `file_name` (a path is fine: only the part after its last '/' is looked at),
/// chosen by the extension after the last '.', case-insensitively. Text types carry
/// "; charset=utf-8". Unknown or missing extensions, and dot-files such as ".profile", give
/// default_mime_type. The returned view points at static storage.
std::string_view mime_type_for(std::string_view file_name) noexcept;

} // namespace engine::files
