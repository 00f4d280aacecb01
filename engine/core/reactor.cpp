#include "core/reactor.hpp"

#include "core/user_data.hpp"
#include "engine/log.hpp"
#include "http/connection.hpp"
#include "http/tls_transport.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace engine::core {

using http::Connection;

namespace {

constexpr std::uint16_t recv_buffer_group = 0;
// Timer wheel granularity: timeouts are in seconds, so 100 ms ticks are precise enough and cost
// at most ten wakes a second while any timer is armed.
constexpr std::uint32_t timer_tick_ms = 100;
constexpr std::uint32_t timer_slots = 1024;
constexpr std::size_t max_gather = sizeof(Connection::vectors) / sizeof(iovec);

std::uint64_t monotonic_ms() noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000u + static_cast<std::uint64_t>(now.tv_nsec) / 1'000'000u;
}

} // namespace

Reactor::Reactor(std::uint32_t index, const ServerConfig &config, Handler &handler,
                 std::vector<ListenSocket> listeners)
    : index_(index), config_(config), handler_(handler), listeners_(std::move(listeners)),
      accept_armed_(listeners_.size(), false) {}

Reactor::~Reactor() {
    join();
    // Parts posted after the loop ended still own buffers and files.
    inbox_.drain(commands_);
    for (Command &command : commands_) release_command(command);
    slots_.clear();
}

void Reactor::start(std::promise<std::string> &ready) {
    thread_ = std::thread([this, &ready] { run(ready); });
}

void Reactor::join() {
    if (thread_.joinable()) thread_.join();
}

ReactorStats Reactor::stats() const noexcept {
    return ReactorStats{accepted_.load(std::memory_order_relaxed), open_.load(std::memory_order_relaxed),
                        requests_.load(std::memory_order_relaxed)};
}

void Reactor::run(std::promise<std::string> &ready) {
    {
        char name[16];
        std::snprintf(name, sizeof name, "reactor-%u", index_);
        pthread_setname_np(pthread_self(), name);
    }
    if (config_.pin_threads) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        const long online = sysconf(_SC_NPROCESSORS_ONLN);
        CPU_SET(static_cast<int>(index_ % static_cast<std::uint32_t>(online > 0 ? online : 1)), &cpus);
        if (pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus) != 0)
            log(LogLevel::warning, "reactor {}: could not pin to a CPU", index_);
    }
    std::string error = setup();
    const bool ok = error.empty();
    ready.set_value(std::move(error));  // `ready` may be gone after this
    if (!ok) return;
    try {
        loop();
    } catch (const std::exception &failure) {
        log(LogLevel::error, "reactor {} failed: {}", index_, failure.what());
        std::abort();
    }
}

std::string Reactor::setup() {
    std::string error;
    if (ring_.init(config_.ring_entries, error) < 0) return error;
    if (recv_buffers_.init(ring_.raw(), recv_buffer_group, config_.recv_buffer_count, config_.recv_buffer_size,
                           error) < 0)
        return error;
    send_buffers_.init(ring_.raw(), config_.send_buffer_count, config_.send_buffer_size);
    now_ms_ = monotonic_ms();
    timers_ = std::make_unique<TimerWheel>(timer_tick_ms, timer_slots, now_ms_);
    slots_.reserve(std::min<std::size_t>(config_.max_connections, 4096));
    if (index_ == 0)
        log(LogLevel::debug, "io_uring: {}, registered ring fd {}, registered send buffers {}",
            ring_.features().defer_taskrun   ? "SINGLE_ISSUER|DEFER_TASKRUN"
            : ring_.features().coop_taskrun ? "COOP_TASKRUN"
                                            : "plain",
            ring_.features().registered_ring_fd ? "yes" : "no", send_buffers_.registered() ? "yes" : "no");
    arm_wake();
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) arm_accept(i);
    return {};
}

void Reactor::loop() {
    for (;;) {
        // Everything a batch caused (sent notifications, output that resumes stashed input and so
        // calls handlers again) happens before on_batch_end, so a handler that wakes its consumer
        // there never leaves work behind while the reactor sleeps.
        do {
            deliver_sent_notifications();
            flush_output();
        } while (!sent_notifications_.empty());
        handler_.on_batch_end(index_);
        const bool accepting = std::any_of(accept_armed_.begin(), accept_armed_.end(), [](bool armed) { return armed; });
        if (draining_ && open_connections_ == 0 && !accepting) break;

        // Timeouts are driven by one timeout SQE per tick while any timer is armed, not by a
        // timeout on every io_uring_enter (which would set up an hrtimer per wait).
        if (!tick_armed_ && (timers_->size() > 0 || accept_retry_at_ms_ != 0 || draining_)) arm_tick();
        const int rc = io_uring_submit_and_wait(ring_.raw(), 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
            log(LogLevel::error, "reactor {}: io_uring_submit_and_wait failed: {}", index_, std::strerror(-rc));

        now_ms_ = monotonic_ms();  // before handling: deadlines armed now count from now
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_cqe *cqe = nullptr;
        io_uring_for_each_cqe(ring_.raw(), head, cqe) {
            handle_completion(cqe);
            ++seen;
        }
        io_uring_cq_advance(ring_.raw(), seen);
        recv_buffers_.commit();
        for (Connection *connection : rearm_recv_) {
            if (connection->has(http::CONN_F_IN_USE) &&
                !connection->has(http::CONN_F_TEARDOWN | http::CONN_F_RECV_ARMED | http::CONN_F_STOP_READING))
                arm_recv(*connection);
        }
        rearm_recv_.clear();
        run_timers();
    }
    log(LogLevel::debug, "reactor {} stopped", index_);
}

void Reactor::handle_completion(io_uring_cqe *cqe) {
    const UserData data = decode_user_data(cqe->user_data);
    switch (data.op) {
    case Op::accept: on_accept(data.slot, cqe); return;
    case Op::wake: on_wake(); return;
    case Op::tick: tick_armed_ = false; return;  // timers run after every batch
    case Op::cancel:
    case Op::none: return;
    default: break;
    }
    if (data.slot >= slots_.size() || !slots_[data.slot] ||
        (slot_generations_[data.slot] & 0xffffffu) != data.generation) {
        log(LogLevel::error, "reactor {}: completion for a stale connection slot {} (op {})", index_, data.slot,
            static_cast<int>(data.op));
        return;
    }
    Connection &connection = *slots_[data.slot];
    switch (data.op) {
    case Op::recv: on_recv(connection, cqe); break;
    case Op::send: on_send(connection, cqe, false); break;
    case Op::send_zc: on_send(connection, cqe, true); break;
    case Op::writable: on_writable(connection, cqe->res); break;
    default: break;
    }
}

// ---------------------------------------------------------------------------------------------
// Accept and receive

void Reactor::arm_accept(std::uint32_t listener) {
    if (draining_) return;
    io_uring_sqe *sqe = ring_.sqe();
    // Accepted sockets are non-blocking: io_uring's socket ops poll for readiness either way, and
    // file responses go out with a direct sendfile() that must never block the reactor.
    constexpr int accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
    if (listeners_[listener].shared) {
        // A socket shared by every reactor and worker (Unix, inherited): the kernel wakes the first
        // waiter in its queue, and a multishot accept never leaves that place, so one reactor would
        // take every connection. A single-shot accept re-armed after each connection goes to the back
        // of the queue: connections rotate over the reactors and worker processes.
        io_uring_prep_accept(sqe, listeners_[listener].fd, nullptr, nullptr, accept_flags);
    } else {
        // Our own SO_REUSEPORT socket: multishot, one SQE producing a CQE per connection until the
        // kernel clears F_MORE.
        io_uring_prep_multishot_accept(sqe, listeners_[listener].fd, nullptr, nullptr, accept_flags);
    }
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::accept, listener, 0));
    accept_armed_[listener] = true;
}

void Reactor::on_accept(std::uint32_t listener, io_uring_cqe *cqe) {
    const int result = cqe->res;
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        accept_armed_[listener] = false;
        if (!draining_ && result != -ECANCELED) {
            if (result == -EMFILE || result == -ENFILE || result == -ENOMEM) {
                // Out of descriptors: retry on the next timer tick instead of spinning.
                if (!accept_pause_logged_)
                    log(LogLevel::warning, "reactor {}: accept failed ({}); retrying", index_, std::strerror(-result));
                accept_pause_logged_ = true;
                accept_retry_at_ms_ = now_ms_ + timer_tick_ms;
            } else {
                arm_accept(listener);
            }
        }
    }
    if (result < 0) return;
    accept_pause_logged_ = false;
    const int fd = result;
    std::uint32_t slot = 0;
    if (draining_) {
        ::close(fd);
        return;
    }
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else if (slots_.size() < config_.max_connections) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(std::make_unique<Connection>(*this, slot));
        slot_generations_.push_back(0);
    } else {
        ::close(fd);  // over --max-connections: refuse rather than degrade everyone
        return;
    }
    Connection &connection = *slots_[slot];
    connection.open(fd, slot_generations_[slot], listeners_[listener].is_unix);
    ++open_connections_;
    accepted_.fetch_add(1, std::memory_order_relaxed);
    open_.fetch_add(1, std::memory_order_relaxed);
    arm_recv(connection);
}

void Reactor::arm_recv(Connection &connection) {
    io_uring_sqe *sqe = ring_.sqe();
    // Multishot recv picks buffers from the provided-buffer ring: no memory is pinned per idle
    // connection, and one SQE serves every arrival until the kernel ends it.
    io_uring_prep_recv_multishot(sqe, connection.fd(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_buffer_group;
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::recv, connection.slot(), connection.generation()));
    connection.set(http::CONN_F_RECV_ARMED);
    ++connection.pending_ops;
}

void Reactor::on_recv(Connection &connection, io_uring_cqe *cqe) {
    const int result = cqe->res;
    const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (result > 0) {
        const std::uint16_t buffer = buffer_id_of(cqe->flags);
        if (!connection.has(http::CONN_F_TEARDOWN)) connection.on_data(recv_buffers_.data(buffer, result));
        recv_buffers_.recycle(buffer);
    }
    if (!more) {
        connection.clear(http::CONN_F_RECV_ARMED);
        if (!connection.has(http::CONN_F_TEARDOWN)) {
            if (result > 0 || result == -ENOBUFS) {
                // The multishot ended without an error (or the buffer ring ran dry: back-pressure,
                // not a failure). Re-arm after this batch's buffers are handed back.
                rearm_recv_.push_back(&connection);
            } else if (result == 0) {
                connection.on_peer_closed();  // the client's FIN
            } else if (result != -ECANCELED) {
                connection.on_read_error();
            } else if (!connection.has(http::CONN_F_STOP_READING)) {
                // start_reading() raced with this cancel (it saw the recv still armed): honour it.
                rearm_recv_.push_back(&connection);
            }
        }
        finish_op(connection);
    }
}

void Reactor::stop_reading(Connection &connection) {
    if (!connection.has(http::CONN_F_RECV_ARMED)) return;
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_cancel64(sqe, encode_user_data(Op::recv, connection.slot(), connection.generation()), 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::cancel, connection.slot(), connection.generation()));
}

void Reactor::start_reading(Connection &connection) {
    if (connection.has(http::CONN_F_RECV_ARMED | http::CONN_F_TEARDOWN)) return;
    arm_recv(connection);
}

// ---------------------------------------------------------------------------------------------
// Output

void Reactor::want_send(Connection &connection) {
    if (connection.has(http::CONN_F_DIRTY)) return;
    connection.set(http::CONN_F_DIRTY);
    dirty_.push_back(&connection);
}

void Reactor::flush_output() {
    // Issuing output can mark connections dirty again (a drained queue resumes input): loop.
    while (!dirty_.empty()) {
        std::vector<Connection *> batch;
        batch.swap(dirty_);
        for (Connection *connection : batch) {
            if (!connection->has(http::CONN_F_DIRTY)) continue;
            connection->clear(http::CONN_F_DIRTY);
            if (connection->has(http::CONN_F_IN_USE) && !connection->has(http::CONN_F_TEARDOWN))
                issue_output(*connection);
        }
        if (dirty_.empty()) dirty_.swap(batch), dirty_.clear();  // keep the capacity
    }
}

void Reactor::issue_output(Connection &connection) {
    if (connection.has(http::CONN_F_SEND_IN_FLIGHT)) return;
    if (http::TlsTransport *tls = connection.tls()) {
        // TLS: the plaintext queue becomes ciphertext in the socket queue one bounded step at a
        // time, only once the previous step has been sent, so back-pressure still reaches the handler.
        // Files take the same road (no splice: see TlsTransport::encrypt_file_step).
        while (tls->wire().empty() && !connection.output.empty()) {
            const std::error_code error = connection.output.front_is_file()
                                              ? tls->encrypt_file_step(connection.output, sent_scratch_)
                                              : tls->encrypt_queued(connection.output, sent_scratch_);
            sent_notifications_.insert(sent_notifications_.end(), sent_scratch_.begin(), sent_scratch_.end());
            sent_scratch_.clear();
            if (error) {
                connection.on_send_error();
                return;
            }
        }
    }
    OutputQueue &output = connection.socket_output();
    if (output.empty()) {
        connection.on_output_drained();
        return;
    }
    if (output.front_is_file()) {
        send_file(connection);
        return;
    }
    std::size_t total = 0;
    bool file_follows = false;
    const std::size_t count = output.gather(connection.vectors, max_gather, total, &file_follows);
    if (file_follows && count > 0) {
        // A head before a file: written with the same direct, non-blocking calls as the file, so
        // both leave in one pass (MSG_MORE lets TCP pack them into the same segments).
        msghdr message{};
        message.msg_iov = connection.vectors;
        message.msg_iovlen = count;
        const ssize_t sent = ::sendmsg(connection.fd(), &message, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
        if (sent < 0 && errno != EAGAIN) {
            connection.on_send_error();
            return;
        }
        if (sent > 0) {
            output.consume(static_cast<std::size_t>(sent), connection.zero_copy_notifications > 0, sent_scratch_);
            sent_notifications_.insert(sent_notifications_.end(), sent_scratch_.begin(), sent_scratch_.end());
            sent_scratch_.clear();
        }
        send_file(connection);  // continues with the file, or waits for POLLOUT
        return;
    }
    const int send_flags = MSG_NOSIGNAL;
    if (count == 0) {
        // Only notification markers are left at the front: they are due now.
        output.consume(0, connection.zero_copy_notifications > 0, sent_scratch_);
        sent_notifications_.insert(sent_notifications_.end(), sent_scratch_.begin(), sent_scratch_.end());
        sent_scratch_.clear();
        want_send(connection);
        return;
    }
    const bool zero_copy = total >= config_.send_zc_threshold &&
                           (!connection.has(http::CONN_F_LOCAL_PEER) || config_.send_zc_to_local_peers);
    io_uring_sqe *sqe = ring_.sqe();
    const OutputSegment &front = output.front();
    if (count == 1 && !zero_copy) {
        io_uring_prep_send(sqe, connection.fd(), connection.vectors[0].iov_base, connection.vectors[0].iov_len,
                           send_flags);
    } else if (count == 1 && front.kind == OutputSegment::Kind::pooled && send_buffers_.registered()) {
        // Engine-owned bytes in a registered buffer: the kernel skips pinning the pages.
        io_uring_prep_send_zc_fixed(sqe, connection.fd(), connection.vectors[0].iov_base,
                                    connection.vectors[0].iov_len, send_flags, 0, front.pool_index);
    } else if (count == 1) {
        io_uring_prep_send_zc(sqe, connection.fd(), connection.vectors[0].iov_base, connection.vectors[0].iov_len,
                              send_flags, 0);
    } else {
        connection.message = msghdr{};
        connection.message.msg_iov = connection.vectors;
        connection.message.msg_iovlen = count;
        if (zero_copy) io_uring_prep_sendmsg_zc(sqe, connection.fd(), &connection.message, send_flags);
        else io_uring_prep_sendmsg(sqe, connection.fd(), &connection.message, send_flags);
    }
    io_uring_sqe_set_data64(sqe, encode_user_data(zero_copy ? Op::send_zc : Op::send, connection.slot(),
                                                  connection.generation()));
    connection.set(http::CONN_F_SEND_IN_FLIGHT);
    ++connection.pending_ops;
}

void Reactor::on_send(Connection &connection, io_uring_cqe *cqe, bool zero_copy) {
    if (zero_copy && (cqe->flags & IORING_CQE_F_NOTIF)) {
        // The kernel no longer reads the memory of that zero-copy send.
        if (--connection.zero_copy_notifications == 0) connection.socket_output().release_held();
        finish_op(connection);
        return;
    }
    const bool notification_follows = zero_copy && (cqe->flags & IORING_CQE_F_MORE);
    if (notification_follows) ++connection.zero_copy_notifications;
    connection.clear(http::CONN_F_SEND_IN_FLIGHT);
    const int result = cqe->res;
    if (!connection.has(http::CONN_F_TEARDOWN)) {
        if (result < 0) {
            connection.on_send_error();
        } else {
            connection.socket_output().consume(static_cast<std::size_t>(result),
                                               connection.zero_copy_notifications > 0, sent_scratch_);
            sent_notifications_.insert(sent_notifications_.end(), sent_scratch_.begin(), sent_scratch_.end());
            sent_scratch_.clear();
            want_send(connection);  // more output, or on_output_drained()
        }
    }
    if (!notification_follows) finish_op(connection);
}

void Reactor::send_file(Connection &connection) {
    // Files go out with sendfile() on the non-blocking socket, straight from the page cache: no copy,
    // and no io-wq. io_uring has no sendfile; its splice always runs in an io-wq worker, and two
    // thread hand-offs per response cost more CPU than the syscall (measured: perf/results/).
    // When the socket buffer is full, a POLLOUT on the ring says when to continue.
    OutputQueue &output = connection.socket_output();
    while (output.front_is_file()) {
        FileRegion &file = output.front().file;
        auto offset = static_cast<off_t>(file.offset);
        const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(file.length, 1u << 30));
        const ssize_t sent = ::sendfile(connection.fd(), file.fd, &offset, chunk);
        if (sent > 0) {
            output.consume_file(static_cast<std::size_t>(sent), sent_scratch_);
            sent_notifications_.insert(sent_notifications_.end(), sent_scratch_.begin(), sent_scratch_.end());
            sent_scratch_.clear();
            if (static_cast<std::size_t>(sent) < chunk) break;  // the socket buffer is full
            continue;
        }
        if (sent < 0 && errno == EAGAIN) break;
        // 0: the file shrank under us; the promised length can no longer be delivered.
        log(LogLevel::warning, "reactor {}: sending a file failed: {}", index_,
            sent == 0 ? "unexpected end of file" : std::strerror(errno));
        connection.on_send_error();
        return;
    }
    // Still a file in front, or head bytes before it that did not fit: wait for room.
    if (!output.empty() && (output.front_is_file() || output.front().size > 0) && output.leading_file()) {
        io_uring_sqe *sqe = ring_.sqe();
        io_uring_prep_poll_add(sqe, connection.fd(), POLLOUT);
        io_uring_sqe_set_data64(sqe, encode_user_data(Op::writable, connection.slot(), connection.generation()));
        connection.set(http::CONN_F_SEND_IN_FLIGHT);
        ++connection.pending_ops;
        return;
    }
    want_send(connection);  // what follows the file, or on_output_drained()
}

void Reactor::on_writable(Connection &connection, int result) {
    connection.clear(http::CONN_F_SEND_IN_FLIGHT);
    if (!connection.has(http::CONN_F_TEARDOWN)) {
        if (result < 0) connection.on_send_error();
        else want_send(connection);
    }
    finish_op(connection);
}

void Reactor::deliver_sent_notifications() {
    while (!sent_notifications_.empty()) {
        std::vector<ExchangeId> due;
        due.swap(sent_notifications_);
        for (const ExchangeId &id : due) handler_.on_sent(id);
    }
}

// ---------------------------------------------------------------------------------------------
// Closing

void Reactor::teardown(Connection &connection) {
    if (connection.has(http::CONN_F_TEARDOWN)) return;
    connection.on_teardown();
    connection.set(http::CONN_F_TEARDOWN);
    timers_->cancel(connection.timer);
    // Shutting the socket down completes the outstanding recv (EOF) and fails pending sends, so
    // every operation on this slot finishes before the slot is reused.
    ::shutdown(connection.fd(), SHUT_RDWR);
    if (connection.has(http::CONN_F_RECV_ARMED)) stop_reading(connection);
    if (connection.pending_ops == 0) {
        ++connection.pending_ops;
        finish_op(connection);
    }
}

void Reactor::finish_op(Connection &connection) {
    if (--connection.pending_ops > 0 || !connection.has(http::CONN_F_TEARDOWN)) return;
    const std::uint32_t slot = connection.slot();
    connection.release();
    ++slot_generations_[slot];
    free_slots_.push_back(slot);
    --open_connections_;
    open_.fetch_sub(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// Inbox, timers, shutdown

void Reactor::arm_wake() {
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_read(sqe, inbox_.eventfd(), &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::wake, 0, 0));
}

void Reactor::arm_tick() {
    tick_interval_.tv_sec = 0;
    tick_interval_.tv_nsec = static_cast<long long>(timer_tick_ms) * 1'000'000;
    io_uring_sqe *sqe = ring_.sqe();
    io_uring_prep_timeout(sqe, &tick_interval_, 0, 0);
    io_uring_sqe_set_data64(sqe, encode_user_data(Op::tick, 0, 0));
    tick_armed_ = true;
}

void Reactor::on_wake() {
    inbox_.drain(commands_);
    for (Command &command : commands_) {
        if (command.kind == Command::Kind::stop) {
            begin_drain();
            continue;
        }
        Connection *connection = connection_for(command.id);
        if (connection) connection->on_command(command);
        else release_command(command);  // the exchange is gone: release what the part holds
    }
    commands_.clear();
    arm_wake();
}

Connection *Reactor::connection_for(const ExchangeId &id) noexcept {
    if (id.reactor != index_ || id.slot >= slots_.size() || !slots_[id.slot]) return nullptr;
    Connection &connection = *slots_[id.slot];
    if (!connection.has(http::CONN_F_IN_USE) || connection.has(http::CONN_F_TEARDOWN) || !connection.matches(id))
        return nullptr;
    return &connection;
}

void Reactor::run_timers() {
    if (accept_retry_at_ms_ != 0 && now_ms_ >= accept_retry_at_ms_) {
        accept_retry_at_ms_ = 0;
        for (std::uint32_t i = 0; i < listeners_.size(); ++i)
            if (!accept_armed_[i]) arm_accept(i);
    }
    timers_->expire(now_ms_, [this](TimerNode &node) {
        if (node.owner < slots_.size() && slots_[node.owner] && slots_[node.owner]->has(http::CONN_F_IN_USE))
            slots_[node.owner]->on_timeout();
    });
}

void Reactor::begin_drain() {
    if (draining_) return;
    draining_ = true;
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
        if (!accept_armed_[i]) continue;
        io_uring_sqe *sqe = ring_.sqe();
        io_uring_prep_cancel64(sqe, encode_user_data(Op::accept, i, 0), 0);
        io_uring_sqe_set_data64(sqe, encode_user_data(Op::cancel, i, 0));
    }
    for (auto &slot : slots_)
        if (slot && slot->has(http::CONN_F_IN_USE) && !slot->has(http::CONN_F_TEARDOWN)) slot->begin_drain();
}

} // namespace engine::core
