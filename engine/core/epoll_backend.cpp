#include "core/epoll_backend.hpp"

#include "core/direct_send.hpp"
#include "core/reactor.hpp"
#include "engine/log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace engine::core {

namespace {

constexpr std::size_t max_gather = sizeof(Stream::vectors) / sizeof(iovec);
// One reactor-wide read buffer: large enough that a pipelined burst or a body chunk needs few calls.
constexpr std::size_t min_read_buffer = 64 * 1024;
// Reads per stream per wake before others get their turn; the rest is read on the next pass.
constexpr int read_rounds = 4;
// Accepts per listener event: our own SO_REUSEPORT socket takes a burst; a socket shared with other
// workers takes one, so the next connection goes to whichever process the kernel wakes next.
constexpr int accept_burst = 32;
constexpr int max_events = 256;

} // namespace

std::unique_ptr<IoBackend> make_epoll_backend(Reactor &reactor) { return std::make_unique<EpollBackend>(reactor); }

EpollBackend::EpollBackend(Reactor &reactor) : reactor_(reactor) {}

EpollBackend::~EpollBackend() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::string EpollBackend::setup() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return fmt::format("epoll_create1 failed: {}", std::strerror(errno));
    read_buffer_size_ = std::max<std::size_t>(min_read_buffer, reactor_.config().recv_buffer_size);
    read_buffer_ = std::make_unique<char[]>(read_buffer_size_);
    events_.resize(max_events);
    listening_.assign(reactor_.listen_sockets().size(), false);
    epoll_event wake{};
    wake.events = EPOLLIN;  // level-triggered: the eventfd is read once per wake
    wake.data.u64 = encode_epoll_tag({EpollTag::Kind::wake, 0, 0});
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, reactor_.inbox().eventfd(), &wake) < 0)
        return fmt::format("epoll_ctl on the inbox eventfd failed: {}", std::strerror(errno));
    return {};
}

std::string EpollBackend::describe() const { return "epoll: edge-triggered streams, sendmsg and sendfile"; }

void EpollBackend::init_send_buffers() {
    // Nothing to register with: the pool is plain memory.
    reactor_.send_buffers().init(nullptr, reactor_.config().send_buffer_count, reactor_.config().send_buffer_size);
}

void EpollBackend::wait_and_dispatch(int timeout_ms) {
    // Teardowns from the last flush are finished first, so a drain that just closed its last
    // connection ends without waiting a tick.
    if (finish_teardowns() && reactor_.draining()) timeout_ms = 0;
    if (!to_read_.empty()) timeout_ms = 0;
    const int count = ::epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
    if (count < 0 && errno != EINTR)
        log(LogLevel::error, "reactor {}: epoll_wait failed: {}", reactor_.index(), std::strerror(errno));
    reactor_.update_clock();
    for (int i = 0; i < count; ++i) {
        const EpollTag tag = decode_epoll_tag(events_[i].data.u64);
        switch (tag.kind) {
        case EpollTag::Kind::wake: {
            std::uint64_t value = 0;
            [[maybe_unused]] const ssize_t ignored = ::read(reactor_.inbox().eventfd(), &value, sizeof value);
            reactor_.on_wake();
            break;
        }
        case EpollTag::Kind::listener: on_listener(tag.index); break;
        case EpollTag::Kind::stream: on_stream(tag, events_[i].events); break;
        }
    }
    read_pending();
    finish_teardowns();
}

// ---------------------------------------------------------------------------------------------
// Accept

void EpollBackend::start_accepting(std::uint32_t listener) {
    if (reactor_.draining() || listening_[listener]) return;
    const ListenSocket &socket = reactor_.listen_sockets()[listener];
    // accept4 must not block when another reactor or worker took the connection first. (io_uring's
    // accept works the same on a non-blocking socket, so sharing the socket with it is fine.)
    if (const int flags = ::fcntl(socket.fd, F_GETFL); flags >= 0 && !(flags & O_NONBLOCK))
        ::fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK);
    epoll_event event{};
    // Level-triggered: a backlog left after a burst is reported again. A socket shared with other
    // reactors and workers wakes only one of them per connection (EPOLLEXCLUSIVE), not every waiter.
    event.events = EPOLLIN | (socket.shared ? EPOLLEXCLUSIVE : 0u);
    event.data.u64 = encode_epoll_tag({EpollTag::Kind::listener, listener, 0});
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket.fd, &event) < 0) {
        log(LogLevel::error, "reactor {}: cannot watch {}: {}", reactor_.index(), socket.description,
            std::strerror(errno));
        return;
    }
    listening_[listener] = true;
}

void EpollBackend::stop_accepting() {
    for (std::uint32_t i = 0; i < listening_.size(); ++i) {
        if (!listening_[i]) continue;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, reactor_.listen_sockets()[i].fd, nullptr);
        listening_[i] = false;
    }
}

void EpollBackend::on_listener(std::uint32_t listener) {
    if (!listening_[listener]) return;
    const ListenSocket &socket = reactor_.listen_sockets()[listener];
    const int burst = socket.shared ? 1 : accept_burst;
    for (int i = 0; i < burst && listening_[listener]; ++i) {
        const int fd = ::accept4(socket.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            if (socket.shared) requeue(listener);
            reactor_.accept_stream(listener, fd);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
            // Out of descriptors: stop watching (a level-triggered listener would spin) until the retry tick.
            ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket.fd, nullptr);
            listening_[listener] = false;
            reactor_.retry_accept_later(listener, errno);
            return;
        }
        log(LogLevel::warning, "reactor {}: accept on {} failed: {}", reactor_.index(), socket.description,
            std::strerror(errno));
        return;
    }
}

void EpollBackend::requeue(std::uint32_t listener) {
    // EPOLLEXCLUSIVE wakes the first waiter in the socket's queue, and that waiter stays first: one worker
    // would take every connection. Registering again puts this reactor at the back, so connections
    // rotate over the reactors and worker processes (as io_uring's re-armed single-shot accept does).
    const ListenSocket &socket = reactor_.listen_sockets()[listener];
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket.fd, nullptr);
    listening_[listener] = false;
    start_accepting(listener);
}

// ---------------------------------------------------------------------------------------------
// Input

bool EpollBackend::watch(Stream &stream) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.u64 = encode_epoll_tag({EpollTag::Kind::stream, stream.slot(), stream.generation()});
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stream.fd(), &event) == 0) return true;
    log(LogLevel::warning, "reactor {}: cannot watch a connection: {}", reactor_.index(), std::strerror(errno));
    return false;
}

void EpollBackend::start_reading(Stream &stream) {
    stream.set(STREAM_F_READING);
    // Bytes may have arrived while reading was off, and their edge is gone: read without waiting.
    to_read_.push_back({&stream, stream.generation()});
}

void EpollBackend::stop_reading(Stream &stream) {
    // The registration stays; edges that come while reading is off are simply not acted on.
    stream.clear(STREAM_F_READING);
}

void EpollBackend::on_stream(const EpollTag &tag, std::uint32_t events) {
    Stream *stream = reactor_.stream_at(tag.index, tag.generation);
    if (!stream || !stream->has(STREAM_F_IN_USE) || stream->has(STREAM_F_TEARDOWN)) return;
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && stream->has(STREAM_F_SEND_IN_FLIGHT)) {
        // Room again (or an error, which the next send reports).
        stream->clear(STREAM_F_SEND_IN_FLIGHT);
        reactor_.want_send(*stream);
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && stream->has(STREAM_F_READING))
        read_from(*stream, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

void EpollBackend::read_from(Stream &stream, bool until_end) {
    for (int round = 0; round < read_rounds; ++round) {
        const ssize_t received = ::recv(stream.fd(), read_buffer_.get(), read_buffer_size_, 0);
        if (received > 0) {
            stream.on_data(std::string_view(read_buffer_.get(), static_cast<std::size_t>(received)));
            if (stream.has(STREAM_F_TEARDOWN) || !stream.has(STREAM_F_READING)) return;
            // A short read emptied the socket; the next arrival raises a new edge. But a FIN that came
            // with this edge raises none of its own: then read on to the end (0) or EAGAIN.
            if (static_cast<std::size_t>(received) < read_buffer_size_ && !until_end) return;
            continue;
        }
        if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (received < 0 && errno == EINTR) continue;
        stream.clear(STREAM_F_READING);
        if (received == 0) stream.on_peer_closed();  // the client's FIN
        else stream.on_read_error();
        return;
    }
    to_read_.push_back({&stream, stream.generation()});  // over budget: more on the next pass
}

void EpollBackend::read_pending() {
    read_scratch_.clear();
    read_scratch_.swap(to_read_);
    for (const Pending &pending : read_scratch_) {
        Stream &stream = *pending.stream;
        if (stream.generation() != pending.generation || !stream.has(STREAM_F_IN_USE) ||
            stream.has(STREAM_F_TEARDOWN) || !stream.has(STREAM_F_READING))
            continue;
        read_from(stream, true);  // no edge says what is there: read until EAGAIN
    }
}

// ---------------------------------------------------------------------------------------------
// Output

void EpollBackend::send(Stream &stream) {
    OutputQueue &output = stream.socket_output();
    while (!output.empty()) {
        if (output.front_is_file()) {
            send_file(stream);
            return;
        }
        std::size_t total = 0;
        bool file_follows = false;
        const std::size_t count = output.gather(stream.vectors, max_gather, total, &file_follows);
        if (count == 0) {
            reactor_.consume_output(stream, 0);  // notification markers: due now
            continue;
        }
        // MSG_MORE before a file lets TCP pack the head and the file's first bytes together.
        const ssize_t sent = send_gathered(stream, count, file_follows ? MSG_MORE : 0);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait_writable(stream);
                return;
            }
            stream.on_send_error();
            return;
        }
        reactor_.consume_output(stream, static_cast<std::size_t>(sent));
        if (static_cast<std::size_t>(sent) < total) {
            wait_writable(stream);  // the socket buffer is full
            return;
        }
    }
    reactor_.want_send(stream);  // more from the protocol (the next TLS step), or on_output_drained()
}

void EpollBackend::send_file(Stream &stream) {
    switch (send_leading_files(reactor_, stream)) {
    case FileSendResult::failed: return;
    case FileSendResult::socket_full: wait_writable(stream); return;
    case FileSendResult::done: reactor_.want_send(stream); return;  // what follows the file, or on_output_drained()
    }
}

void EpollBackend::wait_writable(Stream &stream) {
    // The registration already includes EPOLLOUT (edge-triggered): the next edge clears this flag.
    stream.set(STREAM_F_SEND_IN_FLIGHT);
}

// ---------------------------------------------------------------------------------------------
// Closing

void EpollBackend::teardown(Stream &stream) {
    ::shutdown(stream.fd(), SHUT_RDWR);
    stream.clear(STREAM_F_READING | STREAM_F_SEND_IN_FLIGHT);
    ++stream.pending_ops;
    closing_.push_back(&stream);
}

bool EpollBackend::finish_teardowns() {
    if (closing_.empty()) return false;
    std::vector<Stream *> closing;
    closing.swap(closing_);
    // Closing the descriptor (in release()) also removes it from the epoll set.
    for (Stream *stream : closing) reactor_.finish_op(*stream);
    if (closing_.empty()) closing_.swap(closing), closing_.clear();  // keep the capacity
    return true;
}

} // namespace engine::core
