#pragma once
// Sends made with direct, non-blocking syscalls, shared by both backends (io_uring uses them for files
// and the head bytes before a file). File regions at the front of a stream's output go out with sendfile() on the non-blocking socket,
// straight from the page cache, on both backends: no copy, and no io-wq (io_uring has no sendfile; its
// splice always runs in an io-wq worker, and two thread hand-offs per response cost more CPU than the
// syscall, measured in perf/results/).

#include <sys/types.h>

#include <cstddef>

namespace engine::core {

class Reactor;
class Stream;

enum class FileSendResult {
    done,         ///< no file at the front any more (what follows is memory, or nothing)
    socket_full,  ///< a file is still in front: wait until the socket is writable
    failed,       ///< the file or the socket failed: the stream was told (on_send_error)
};

/// sendmsg() of the first `count` of stream.vectors (filled by OutputQueue::gather), MSG_NOSIGNAL |
/// MSG_DONTWAIT | `flags`. Returns the bytes sent, or -1 with errno set.
ssize_t send_gathered(Stream &stream, std::size_t count, int flags) noexcept;

/// Sends the file regions at the front of stream.socket_output() until the socket is full.
FileSendResult send_leading_files(Reactor &reactor, Stream &stream);

} // namespace engine::core
