#pragma once
// Settings of one static-files mount, checked once when the mount is configured; the runtime
// (static_files.hpp) assumes they are valid.

#include <string>

#include "engine/static_routes.hpp"  // StaticFilesOptions

namespace engine::files {

/// Throws std::invalid_argument with a one-line reason if `options` cannot work: an empty root, or an
/// index_file that is not a single plain file name (contains '/' or NUL, or is "." or "..").
void validate_static_files_options(const StaticFilesOptions &options);

/// The "Cache-Control: ...\r\n" header line the options ask for, or "" when expires_seconds is unset.
std::string cache_control_line(const StaticFilesOptions &options);

} // namespace engine::files
