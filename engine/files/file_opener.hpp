#pragma once
// Opening a file below the served root so that nothing outside it can be reached: openat2() with
// RESOLVE_BENEATH, then fstat() to keep only regular files. Blocking syscalls on the caller's thread.

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace engine::files {

/// openat2(dir_fd, relative_path, O_RDONLY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). Returns the fd, or
/// -errno: EXDEV for ".." or a symlink leading out of dir_fd (absolute symlinks always do), ELOOP for a
/// magic link or a loop, ENOSYS where the kernel predates openat2 (Linux 5.6).
int open_beneath(int dir_fd, const char *relative_path) noexcept;

enum class OpenStatus : std::uint8_t {
    opened,     ///< fd is a regular file
    not_found,  ///< no such name, a directory without the index file, or not a regular file
    forbidden,  ///< exists but resolving it leaves the root, hits a magic link or loop, or lacks permission
    failed,     ///< anything else (EMFILE, ENOMEM, EIO...): error_number says what
};

struct OpenedFile {
    OpenStatus status = OpenStatus::not_found;
    int fd = -1;               ///< valid only when opened; the caller owns it
    int error_number = 0;      ///< the errno behind a non-opened status (0 for "not a regular file")
    struct stat info {};       ///< fstat of fd when opened
    bool is_directory_index = false;  ///< the name was a directory and fd is its index file
};

/// Opens `relative_path` ("" = the root) below `root_fd`. A directory is replaced by its `index_file`
/// (an empty index_file makes every directory not_found). Only regular files come back as opened.
OpenedFile open_servable_file(int root_fd, const std::string &relative_path, std::string_view index_file);

} // namespace engine::files
