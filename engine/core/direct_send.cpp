#include "core/direct_send.hpp"

#include "core/reactor.hpp"
#include "engine/log.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace engine::core {

ssize_t send_gathered(Stream &stream, std::size_t count, int flags) noexcept {
    msghdr message{};
    message.msg_iov = stream.vectors;
    message.msg_iovlen = count;
    return ::sendmsg(stream.fd(), &message, MSG_NOSIGNAL | MSG_DONTWAIT | flags);
}

FileSendResult send_leading_files(Reactor &reactor, Stream &stream) {
    OutputQueue &output = stream.socket_output();
    while (output.front_is_file()) {
        FileRegion &file = output.front().file;
        auto offset = static_cast<off_t>(file.offset);
        const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(file.length, 1u << 30));
        const ssize_t sent = ::sendfile(stream.fd(), file.fd, &offset, chunk);
        if (sent > 0) {
            reactor.consume_file(stream, static_cast<std::size_t>(sent));
            if (static_cast<std::size_t>(sent) < chunk) return FileSendResult::socket_full;
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FileSendResult::socket_full;
        // 0: the file shrank under us; the promised length can no longer be delivered.
        log(LogLevel::warning, "reactor {}: sending a file failed: {}", reactor.index(),
            sent == 0 ? "unexpected end of file" : std::strerror(errno));
        stream.on_send_error();
        return FileSendResult::failed;
    }
    return FileSendResult::done;
}

} // namespace engine::core
