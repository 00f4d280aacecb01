#pragma once
// The static-files runtime: turns a GET/HEAD request for a path below a mount into a response head
// plus an open file region, which the connection code sends zero-copy (sendfile from the page cache).
//
// Blocking note: answer() opens (openat2) and fstat()s the file on the caller's thread, i.e. on a
// reactor thread. For files in the page cache and dentries in the dcache these are microseconds; a
// cold disk stalls that reactor. An IORING_OP_OPENAT2 + STATX path can replace this later without
// changing FileAnswer.
//
// Status rules (the same for every way of reaching the case):
//   404  nothing servable under this name: no such file, a directory without the index file, a
//        special file (FIFO, socket, device), and every path the sanitizer refuses ("..", "%2e%2e",
//        "%2f", "%00", malformed escapes) -- traversal attempts learn nothing;
//   403  the name exists but resolves somewhere we refuse: a symlink leaving the root (openat2 EXDEV),
//        a /proc-style magic link or a symlink loop (ELOOP), no permission (EACCES/EPERM). Absolute
//        symlinks count as leaving the root even when they point inside it (RESOLVE_BENEATH);
//   405  a method other than GET/HEAD (with "Allow: GET, HEAD");
//   416  an unsatisfiable Range (with "Content-Range: bytes */SIZE");
//   500  an unexpected open/fstat failure (EMFILE, EIO, ...).

#include <cstdint>
#include <string_view>

#include "engine/request.hpp"
#include "engine/response.hpp"
#include "files/static_files_options.hpp"

namespace engine::files {

struct FileAnswer {
    /// 200, 206 or 304 with is_error false; 403, 404, 405, 416 or 500 with is_error true.
    std::uint16_t status = 0;
    /// head.status == status. For successes: header_lines carry Content-Type (200/206), ETag,
    /// Last-Modified, Accept-Ranges (200/206), Content-Range (206), Cache-Control (if configured), and
    /// content_length is what a GET's 200/206 body has -- also for HEAD and 304, where the connection
    /// must send no body (RFC 9110 §8.6 allows that Content-Length). For errors: header_lines carry only
    /// what the canned error needs (Allow for 405, Content-Range for 416); content_length is unset.
    engine::ResponseHead head;
    /// The bytes to send: an fd open for reading with offset and length. fd is -1 and length 0 when
    /// there is no body to send (errors, 304, HEAD, empty file). The receiver owns a valid fd and must
    /// close it (the engine does once the region is sent or the exchange is dropped).
    engine::FileRegion region;
    bool is_error = false;
};

class StaticFiles {
  public:
    /// Validates the options and opens the root directory once (O_PATH|O_DIRECTORY). Throws
    /// std::invalid_argument for bad options, std::runtime_error naming the root and the reason if the
    /// root cannot be opened or the kernel refuses openat2 (Linux < 5.6, or a seccomp filter).
    explicit StaticFiles(StaticFilesOptions options);
    ~StaticFiles();
    StaticFiles(const StaticFiles &) = delete;
    StaticFiles &operator=(const StaticFiles &) = delete;

    /// Answers `request` for `path_below_mount`, the raw (percent-encoded) request path with the
    /// mount prefix removed. Const and free of shared mutable state: reactors may call it concurrently.
    /// Blocks on openat2/fstat (see the note at the top of this file).
    FileAnswer answer(const engine::Request &request, std::string_view path_below_mount) const;

    const StaticFilesOptions &options() const noexcept { return options_; }

  private:
    StaticFilesOptions options_;
    std::string cache_control_line_;  ///< formatted once; "" when no expiry is configured
    int root_fd_ = -1;
};

/// The response part that carries `answer`, complete (end set): a success as it is (head plus the file region,
/// if any); an error as the status's reason phrase ("Not Found\n") in a short text/plain body, keeping the
/// answer's extra header lines (Allow for 405, Content-Range for 416).
engine::ResponsePart into_response(FileAnswer &&answer);

} // namespace engine::files
