#include "core/uring_backend.hpp"

#include "core/direct_send.hpp"
#include "core/reactor.hpp"
#include "core/user_data.hpp"
#include "engine/log.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace engine::core {

namespace {

constexpr std::uint16_t recv_buffer_group = 0;
constexpr std::size_t max_gather = sizeof(Stream::vectors) / sizeof(iovec);

} // namespace

std::unique_ptr<IoBackend> make_uring_backend(Reactor &reactor) { return std::make_unique<UringBackend>(reactor); }

UringBackend::UringBackend(Reactor &reactor) : reactor_(reactor) {}

std::string UringBackend::setup() {
    std::string error;
    const ServerConfig &config = reactor_.config();
    if (ring_.init(config.ring_entries, error, reactor_.inline_mode()) < 0) return error;
    if (recv_buffers_.init(ring_.raw(), recv_buffer_group, config.recv_buffer_count, config.recv_buffer_size,
                           error) < 0)
        return error;
    accept_armed_.assign(reactor_.listen_sockets().size(), false);
    arm_wake();
    return {};
}

void UringBackend::init_send_buffers() {
    reactor_.send_buffers().init(ring_.raw(), reactor_.config().send_buffer_count, reactor_.config().send_buffer_size);
}

std::string UringBackend::describe() const {
    return fmt::format("io_uring: {}, registered ring fd {}",
                       ring_.features().defer_taskrun   ? "SINGLE_ISSUER|DEFER_TASKRUN"
                       : ring_.features().coop_taskrun ? "COOP_TASKRUN"
                                                       : "plain",
                       ring_.features().registered_ring_fd ? "yes" : "no");
}

int UringBackend::poll_fd() const noexcept { return const_cast<Ring &>(ring_).raw()->ring_fd; }

bool UringBackend::has_pending() const noexcept {
    io_uring *ring = const_cast<Ring &>(ring_).raw();
    // TASKRUN: completion work waits for this thread (COOP_TASKRUN); the next submit runs it.
    return io_uring_cq_ready(ring) > 0 || !rearm_recv_.empty() ||
           (IO_URING_READ_ONCE(*ring->sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
}

void UringBackend::submit() {
    const int rc = io_uring_submit(ring_.raw());
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
        log(LogLevel::error, "reactor {}: io_uring_submit failed: {}", reactor_.index(), std::strerror(-rc));
}

void UringBackend::wait_and_dispatch(int timeout_ms) {
    // Timeouts are driven by one timeout SQE per tick while any timer is armed, not by a timeout on
    // every io_uring_enter (which would set up an hrtimer per wait).
    if (timeout_ms > 0 && !tick_armed_) arm_tick(timeout_ms);
    const int rc = timeout_ms == 0 ? io_uring_submit(ring_.raw()) : io_uring_submit_and_wait(ring_.raw(), 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
        log(LogLevel::error, "reactor {}: io_uring_submit_and_wait failed: {}", reactor_.index(), std::strerror(-rc));

    reactor_.update_clock();
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe *cqe = nullptr;
    io_uring_for_each_cqe(ring_.raw(), head, cqe) {
        handle_completion(cqe);
        ++seen;
    }
    io_uring_cq_advance(ring_.raw(), seen);
    recv_buffers_.commit();
    for (Stream *stream : rearm_recv_) {
        if (stream->has(STREAM_F_IN_USE) &&
            !stream->has(STREAM_F_TEARDOWN | STREAM_F_READING | STREAM_F_READ_STOPPED))
            arm_recv(*stream);
    }
    rearm_recv_.clear();
}

void UringBackend::handle_completion(io_uring_cqe *cqe) {
    const UserData data = decode_user_data(cqe->user_data);
    switch (data.op) {
    case Op::accept: on_accept(data.slot, cqe); return;
    case Op::wake:
        reactor_.on_wake();
        arm_wake();
        return;
    case Op::tick: tick_armed_ = false; return;  // timers run after every batch
    case Op::cancel:
    case Op::none: return;
    default: break;
    }
    Stream *stream = reactor_.stream_at(data.slot, data.generation);
    if (!stream) {
        log(LogLevel::error, "reactor {}: completion for a stale connection slot {} (op {})", reactor_.index(),
            data.slot, static_cast<int>(data.op));
        return;
    }
    switch (data.op) {
    case Op::recv: on_recv(*stream, cqe); break;
    case Op::send: on_send(*stream, cqe, false); break;
    case Op::send_zc: on_send(*stream, cqe, true); break;
    case Op::writable: on_writable(*stream, cqe->res); break;
    default: break;
    }
}

// ---------------------------------------------------------------------------------------------
// Accept and receive

void UringBackend::start_accepting(std::uint32_t listener) {
    if (reactor_.draining() || accept_armed_[listener]) return;
    const ListenSocket &socket = reactor_.listen_sockets()[listener];
    io_uring_sqe *sqe = ring_.sqe();
    // Accepted sockets are non-blocking: io_uring's socket ops poll for readiness either way, and
    // file responses go out with a direct sendfile() that must never block the reactor.
    constexpr int accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
    if (socket.shared) {
        // A socket shared by every reactor and worker (Unix, inherited): the kernel wakes the first
        // waiter in its queue, and a multishot accept never leaves that place, so one reactor would
        // take every connection. A single-shot accept re-armed after each connection goes to the back
        // of the queue: connections rotate over the reactors and worker processes.
        io_uring_prep_accept(sqe, socket.fd, nullptr, nullptr, accept_flags);
    } else {
        // Our own SO_REUSEPORT socket: multishot, one SQE producing a CQE per connection until the
        // kernel clears F_MORE.
        io_uring_prep_multishot_accept(sqe, socket.fd, nullptr, nullptr, accept_flags);
    }
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::accept, listener, 0));
    accept_armed_[listener] = true;
}

void UringBackend::stop_accepting() {
    for (std::uint32_t i = 0; i < accept_armed_.size(); ++i) {
        if (!accept_armed_[i]) continue;
        io_uring_sqe *sqe = ring_.sqe();
        io_uring_prep_cancel64(sqe, encode_user_data(Op::accept, i, 0), 0);
        io_uring_sqe_set_data64(sqe, encode_user_data(Op::cancel, i, 0));
    }
}

bool UringBackend::accepting() const noexcept {
    return std::any_of(accept_armed_.begin(), accept_armed_.end(), [](bool armed) { return armed; });
}

void UringBackend::on_accept(std::uint32_t listener, io_uring_cqe *cqe) {
    const int result = cqe->res;
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        accept_armed_[listener] = false;
        if (!reactor_.draining() && result != -ECANCELED) {
            if (result == -EMFILE || result == -ENFILE || result == -ENOMEM) reactor_.retry_accept_later(listener, -result);
            else start_accepting(listener);
        }
    }
    if (result >= 0) reactor_.accept_stream(listener, result);
}

void UringBackend::start_reading(Stream &stream) { arm_recv(stream); }

void UringBackend::arm_recv(Stream &stream) {
    io_uring_sqe *sqe = ring_.sqe();
    // Multishot recv picks buffers from the provided-buffer ring: no memory is pinned per idle
    // connection, and one SQE serves every arrival until the kernel ends it.
    io_uring_prep_recv_multishot(sqe, stream.fd(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_buffer_group;
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::recv, stream.slot(), stream.generation()));
    stream.set(STREAM_F_READING);
    ++stream.pending_ops;
}

void UringBackend::on_recv(Stream &stream, io_uring_cqe *cqe) {
    const int result = cqe->res;
    const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (result > 0) {
        const std::uint16_t buffer = buffer_id_of(cqe->flags);
        if (!stream.has(STREAM_F_TEARDOWN)) stream.on_data(recv_buffers_.data(buffer, result));
        recv_buffers_.recycle(buffer);
    }
    if (!more) {
        stream.clear(STREAM_F_READING);
        if (!stream.has(STREAM_F_TEARDOWN)) {
            if (result > 0 || result == -ENOBUFS) {
                // The multishot ended without an error (or the buffer ring ran dry: back-pressure,
                // not a failure). Re-arm after this batch's buffers are handed back.
                rearm_recv_.push_back(&stream);
            } else if (result == 0) {
                stream.on_peer_closed();  // the client's FIN
            } else if (result != -ECANCELED) {
                stream.on_read_error();
            } else if (!stream.has(STREAM_F_READ_STOPPED)) {
                // start_reading() raced with this cancel (it saw the recv still armed): honour it.
                rearm_recv_.push_back(&stream);
            }
        }
        reactor_.finish_op(stream);
    }
}

void UringBackend::stop_reading(Stream &stream) {
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_cancel64(sqe, encode_user_data(Op::recv, stream.slot(), stream.generation()), 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::cancel, stream.slot(), stream.generation()));
}

// ---------------------------------------------------------------------------------------------
// Output

void UringBackend::send(Stream &stream) {
    OutputQueue &output = stream.socket_output();
    if (output.front_is_file()) {
        send_file(stream);
        return;
    }
    std::size_t total = 0;
    bool file_follows = false;
    const std::size_t count = output.gather(stream.vectors, max_gather, total, &file_follows);
    if (file_follows && count > 0) {
        // A head before a file: written with the same direct, non-blocking calls as the file, so
        // both leave in one pass (MSG_MORE lets TCP pack them into the same segments).
        const ssize_t sent = send_gathered(stream, count, MSG_MORE);
        if (sent < 0 && errno != EAGAIN) {
            stream.on_send_error();
            return;
        }
        if (sent > 0) reactor_.consume_output(stream, static_cast<std::size_t>(sent));
        send_file(stream);  // continues with the file, or waits for POLLOUT
        return;
    }
    const int send_flags = MSG_NOSIGNAL;
    if (count == 0) {
        // Only notification markers are left at the front: they are due now.
        reactor_.consume_output(stream, 0);
        reactor_.want_send(stream);
        return;
    }
    const ServerConfig &config = reactor_.config();
    const bool zero_copy = total >= config.send_zc_threshold &&
                           (!stream.has(STREAM_F_LOCAL_PEER) || config.send_zc_to_local_peers);
    io_uring_sqe *sqe = ring_.sqe();
    const OutputSegment &front = output.front();
    if (count == 1 && !zero_copy) {
        io_uring_prep_send(sqe, stream.fd(), stream.vectors[0].iov_base, stream.vectors[0].iov_len, send_flags);
    } else if (count == 1 && front.kind == OutputSegment::Kind::pooled && reactor_.send_buffers().registered()) {
        // Engine-owned bytes in a registered buffer: the kernel skips pinning the pages.
        io_uring_prep_send_zc_fixed(sqe, stream.fd(), stream.vectors[0].iov_base, stream.vectors[0].iov_len,
                                    send_flags, 0, front.pool_index);
    } else if (count == 1) {
        io_uring_prep_send_zc(sqe, stream.fd(), stream.vectors[0].iov_base, stream.vectors[0].iov_len, send_flags,
                              0);
    } else {
        stream.message = msghdr{};
        stream.message.msg_iov = stream.vectors;
        stream.message.msg_iovlen = count;
        if (zero_copy) io_uring_prep_sendmsg_zc(sqe, stream.fd(), &stream.message, send_flags);
        else io_uring_prep_sendmsg(sqe, stream.fd(), &stream.message, send_flags);
    }
    io_uring_sqe_set_data64(sqe,
                            encode_user_data(zero_copy ? Op::send_zc : Op::send, stream.slot(), stream.generation()));
    stream.set(STREAM_F_SEND_IN_FLIGHT);
    ++stream.pending_ops;
}

void UringBackend::on_send(Stream &stream, io_uring_cqe *cqe, bool zero_copy) {
    if (zero_copy && (cqe->flags & IORING_CQE_F_NOTIF)) {
        // The kernel no longer reads the memory of that zero-copy send.
        if (--stream.zero_copy_notifications == 0) stream.socket_output().release_held();
        reactor_.finish_op(stream);
        return;
    }
    const bool notification_follows = zero_copy && (cqe->flags & IORING_CQE_F_MORE);
    if (notification_follows) ++stream.zero_copy_notifications;
    stream.clear(STREAM_F_SEND_IN_FLIGHT);
    const int result = cqe->res;
    if (!stream.has(STREAM_F_TEARDOWN)) {
        if (result < 0) {
            stream.on_send_error();
        } else {
            reactor_.consume_output(stream, static_cast<std::size_t>(result));
            reactor_.want_send(stream);  // more output, or on_output_drained()
        }
    }
    if (!notification_follows) reactor_.finish_op(stream);
}

void UringBackend::send_file(Stream &stream) {
    if (send_leading_files(reactor_, stream) == FileSendResult::failed) return;
    // Still a file in front, or head bytes before it that did not fit: a POLLOUT on the ring says
    // when to continue.
    OutputQueue &output = stream.socket_output();
    if (!output.empty() && (output.front_is_file() || output.front().size > 0) && output.leading_file()) {
        wait_writable(stream);
        return;
    }
    reactor_.want_send(stream);  // what follows the file, or on_output_drained()
}

void UringBackend::wait_writable(Stream &stream) {
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_poll_add(sqe, stream.fd(), POLLOUT);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::writable, stream.slot(), stream.generation()));
    stream.set(STREAM_F_SEND_IN_FLIGHT);
    ++stream.pending_ops;
}

void UringBackend::on_writable(Stream &stream, int result) {
    stream.clear(STREAM_F_SEND_IN_FLIGHT);
    if (!stream.has(STREAM_F_TEARDOWN)) {
        if (result < 0) stream.on_send_error();
        else reactor_.want_send(stream);
    }
    reactor_.finish_op(stream);
}

// ---------------------------------------------------------------------------------------------
// Closing, inbox, ticks

void UringBackend::teardown(Stream &stream) {
    // Shutting the socket down completes the outstanding recv (EOF) and fails pending sends, so
    // every operation on this slot finishes before the slot is reused.
    ::shutdown(stream.fd(), SHUT_RDWR);
    if (stream.has(STREAM_F_READING)) stop_reading(stream);
    if (stream.pending_ops == 0) {
        ++stream.pending_ops;
        reactor_.finish_op(stream);
    }
}

void UringBackend::arm_wake() {
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_read(sqe, reactor_.inbox().eventfd(), &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::wake, 0, 0));
}

void UringBackend::arm_tick(int timeout_ms) {
    tick_interval_.tv_sec = 0;
    tick_interval_.tv_nsec = static_cast<long long>(timeout_ms) * 1'000'000;
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_timeout(sqe, &tick_interval_, 0, 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::tick, 0, 0));
    tick_armed_ = true;
}

} // namespace engine::core
