#include "files/file_opener.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace engine::files {
namespace {

OpenStatus status_for_errno(int error_number) noexcept {
    switch (error_number) {
    case ENOENT:
    case ENOTDIR:       // a path component is a file
    case ENAMETOOLONG:
    case ENXIO:         // a Unix socket file
        return OpenStatus::not_found;
    case EXDEV:         // RESOLVE_BENEATH: the path would leave the root
    case ELOOP:         // RESOLVE_NO_MAGICLINKS or a symlink loop
    case EACCES:
    case EPERM:
        return OpenStatus::forbidden;
    default:
        return OpenStatus::failed;
    }
}

OpenedFile failure(int error_number) noexcept {
    OpenedFile result;
    result.status = status_for_errno(error_number);
    result.error_number = error_number;
    return result;
}

OpenedFile not_servable() noexcept {
    OpenedFile result;
    result.status = OpenStatus::not_found;
    return result;
}

/// Opens and fstat()s; on success the result is opened even if it is not a regular file (callers decide).
OpenedFile open_and_stat(int root_fd, const char *relative_path) noexcept {
    int fd = open_beneath(root_fd, relative_path);
    if (fd < 0) return failure(-fd);
    OpenedFile result;
    if (fstat(fd, &result.info) != 0) {
        int error_number = errno;
        close(fd);
        return failure(error_number);
    }
    result.status = OpenStatus::opened;
    result.fd = fd;
    return result;
}

} // namespace

int open_beneath(int dir_fd, const char *relative_path) noexcept {
    open_how how{};
    // O_NONBLOCK: opening a FIFO for reading would otherwise block the reactor until a writer appears;
    // it has no effect on reads from regular files. O_NOCTTY: a terminal device must never become ours.
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    // RESOLVE_BENEATH: every step of the walk, symlinks included, must stay below dir_fd (EXDEV).
    // RESOLVE_NO_MAGICLINKS: no /proc/<pid>/fd-style links, which jump anywhere regardless of the walk.
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // glibc 2.36 (Debian 12) has no openat2() wrapper; the raw syscall works on every glibc.
    long fd;
    do {
        fd = syscall(SYS_openat2, dir_fd, relative_path, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

OpenedFile open_servable_file(int root_fd, const std::string &relative_path, std::string_view index_file) {
    OpenedFile file = open_and_stat(root_fd, relative_path.empty() ? "." : relative_path.c_str());
    if (file.status != OpenStatus::opened) return file;
    if (S_ISREG(file.info.st_mode)) return file;
    close(file.fd);
    if (!S_ISDIR(file.info.st_mode) || index_file.empty()) return not_servable();

    // The index is opened from the root, not from the directory's fd, so that an index symlink
    // pointing elsewhere inside the root still works while one pointing outside still fails.
    std::string index_path;
    index_path.reserve(relative_path.size() + 1 + index_file.size());
    if (!relative_path.empty()) index_path.append(relative_path).push_back('/');
    index_path.append(index_file);

    OpenedFile index = open_and_stat(root_fd, index_path.c_str());
    if (index.status != OpenStatus::opened) return index;
    if (!S_ISREG(index.info.st_mode)) {
        close(index.fd);
        return not_servable();
    }
    index.is_directory_index = true;
    return index;
}

} // namespace engine::files
