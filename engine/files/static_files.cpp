#include "files/static_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <ctime>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "files/conditional.hpp"
#include "files/etag.hpp"
#include "files/file_opener.hpp"
#include "files/mime_types.hpp"
#include "files/path_sanitizer.hpp"
#include "files/range.hpp"
#include "http/date_cache.hpp"
#include "http/response_writer.hpp"

namespace engine::files {
namespace {

FileAnswer error_answer(std::uint16_t status, std::string header_lines = {}) {
    FileAnswer answer;
    answer.status = status;
    answer.head.status = status;
    answer.head.header_lines = std::move(header_lines);
    answer.is_error = true;
    return answer;
}

std::uint16_t error_status_for(OpenStatus status) noexcept {
    switch (status) {
    case OpenStatus::not_found: return 404;
    case OpenStatus::forbidden: return 403;
    default: return 500;
    }
}

std::int64_t mtime_nanoseconds(const struct stat &info) noexcept {
    return static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
}

/// Owns the opened fd until a FileRegion takes it, so every early return (304, 416, an exception from
/// formatting) closes it.
class ScopedFd {
  public:
    explicit ScopedFd(int fd) noexcept : fd_(fd) {}
    ~ScopedFd() {
        if (fd_ >= 0) close(fd_);
    }
    ScopedFd(const ScopedFd &) = delete;
    ScopedFd &operator=(const ScopedFd &) = delete;

    /// The region to send; with no bytes to send the fd stays here (and is closed) so the engine never
    /// sends an empty file region.
    engine::FileRegion into_region(std::uint64_t offset, std::uint64_t length) noexcept {
        if (length == 0) return {};
        engine::FileRegion region{fd_, offset, length};
        fd_ = -1;
        return region;
    }

  private:
    int fd_;
};

} // namespace

StaticFiles::StaticFiles(StaticFilesOptions options) : options_(std::move(options)) {
    validate_static_files_options(options_);
    cache_control_line_ = cache_control_line(options_);

    root_fd_ = open(options_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) {
        throw std::runtime_error(fmt::format("static files root '{}': cannot open as a directory: {}", options_.root,
                                             std::generic_category().message(errno)));
    }
    // Find out now, not on the first request, whether openat2 is usable: kernels before 5.6 lack it, and
    // some container seccomp profiles refuse it (ENOSYS or EPERM).
    int probe = open_beneath(root_fd_, ".");
    if (probe < 0) {
        int error_number = -probe;
        close(root_fd_);
        throw std::runtime_error(fmt::format(
            "static files root '{}': openat2() failed ({}); Linux 5.6+ without a seccomp filter blocking it "
            "is required",
            options_.root, std::generic_category().message(error_number)));
    }
    close(probe);
}

StaticFiles::~StaticFiles() {
    if (root_fd_ >= 0) close(root_fd_);
}

FileAnswer StaticFiles::answer(const engine::Request &request, std::string_view path_below_mount) const {
    const bool is_head = request.method == "HEAD";
    if (!is_head && request.method != "GET") return error_answer(405, "Allow: GET, HEAD\r\n");

    auto relative_path = sanitize_request_path(path_below_mount);
    if (!relative_path) return error_answer(404);
    OpenedFile file = open_servable_file(root_fd_, *relative_path, options_.index_file);
    if (file.status != OpenStatus::opened) return error_answer(error_status_for(file.status));
    ScopedFd file_fd(file.fd);

    const auto file_size = static_cast<std::uint64_t>(file.info.st_size);
    const std::time_t last_modified = file.info.st_mtim.tv_sec;
    const EntityTag etag(file_size, mtime_nanoseconds(file.info), static_cast<std::uint64_t>(file.info.st_ino));
    char last_modified_text[http::http_date_length];
    http::format_http_date(last_modified, last_modified_text);
    const std::string_view last_modified_view(last_modified_text, sizeof last_modified_text);

    FileAnswer answer;
    std::string &lines = answer.head.header_lines;
    lines.reserve(192 + cache_control_line_.size());
    auto out = std::back_inserter(lines);

    // Preconditions come before Range (RFC 9110 §13.2.2): a fresh cache gets 304 even if it asked for a range.
    if (is_not_modified(request.header("if-none-match"), request.header("if-modified-since"), etag.view(),
                        last_modified)) {
        answer.status = 304;
        fmt::format_to(out, "ETag: {}\r\nLast-Modified: {}\r\n{}", etag.view(), last_modified_view,
                       cache_control_line_);
        answer.head.status = 304;
        answer.head.content_length = file_size;
        return answer;
    }

    // Range is defined for GET only (§14.2), so HEAD always describes the whole file.
    ByteRange range;
    auto range_value = request.header("range");
    if (range_value && !is_head) {
        auto if_range = request.header("if-range");
        if (!if_range || if_range_allows_range(*if_range, etag.view(), last_modified, std::time(nullptr)))
            range = parse_range(*range_value, file_size);
    }
    if (range.outcome == RangeOutcome::unsatisfiable) {
        return error_answer(416, fmt::format("Content-Range: bytes */{}\r\n", file_size));
    }

    std::string_view served_name = file.is_directory_index ? std::string_view(options_.index_file)
                                                           : std::string_view(*relative_path);
    fmt::format_to(out, "Content-Type: {}\r\nETag: {}\r\nLast-Modified: {}\r\nAccept-Ranges: bytes\r\n{}",
                   mime_type_for(served_name), etag.view(), last_modified_view, cache_control_line_);

    std::uint64_t offset = 0;
    std::uint64_t length = file_size;
    answer.status = 200;
    if (range.outcome == RangeOutcome::satisfiable) {
        answer.status = 206;
        offset = range.offset;
        length = range.length;
        fmt::format_to(out, "Content-Range: bytes {}-{}/{}\r\n", offset, offset + length - 1, file_size);
    }
    answer.head.status = answer.status;
    answer.head.content_length = length;
    answer.region = file_fd.into_region(offset, is_head ? 0 : length);
    return answer;
}

engine::ResponsePart into_response(FileAnswer &&answer) {
    if (answer.is_error) {
        std::string body(http::reason_phrase(answer.status));
        body += '\n';
        answer.head.header_lines += "Content-Type: text/plain; charset=utf-8\r\n";
        return engine::make_response(answer.status, std::move(answer.head.header_lines), std::move(body));
    }
    engine::ResponsePart part;
    part.head = std::move(answer.head);
    if (answer.region.fd >= 0) part.body = answer.region;
    part.end = true;
    return part;
}

} // namespace engine::files
