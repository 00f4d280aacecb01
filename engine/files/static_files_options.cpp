#include "files/static_files_options.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace engine::files {

void validate_static_files_options(const StaticFilesOptions &options) {
    if (options.root.empty()) throw std::invalid_argument("static files: the root directory is empty");
    if (options.root.find('\0') != std::string::npos)
        throw std::invalid_argument("static files: the root directory contains a NUL byte");
    const std::string &index = options.index_file;
    if (index == "." || index == ".." || index.find('/') != std::string::npos || index.find('\0') != std::string::npos)
        throw std::invalid_argument(
            fmt::format("static files: index file '{}' must be a plain file name, not a path", index));
}

std::string cache_control_line(const StaticFilesOptions &options) {
    if (!options.expires_seconds) return {};
    return fmt::format("Cache-Control: max-age={}\r\n", *options.expires_seconds);
}

} // namespace engine::files
