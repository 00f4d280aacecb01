#include "core/reactor.hpp"

#include "engine/log.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

namespace engine::core {

namespace {

// Timer wheel granularity: timeouts are in seconds, so 100 ms ticks are precise enough and cost
// at most ten wakes a second while any timer is armed.
constexpr std::uint32_t timer_tick_ms = 100;
constexpr std::uint32_t timer_slots = 1024;

std::uint64_t monotonic_ms() noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000u + static_cast<std::uint64_t>(now.tv_nsec) / 1'000'000u;
}

} // namespace

Reactor::Reactor(std::uint32_t index, const ServerConfig &config, Handler &handler,
                 std::vector<ListenSocket> listeners, std::unique_ptr<StreamFactory> streams,
                 IoBackendKind backend)
    : index_(index), config_(config), handler_(handler), listeners_(std::move(listeners)),
      streams_(std::move(streams)), backend_kind_(backend) {}

Reactor::~Reactor() {
    join();
    // Parts posted after the loop ended still own buffers and files.
    inbox_.drain(commands_);
    for (Command &command : commands_) release_command(command);
    slots_.clear();
    // The backend (declared first) outlives the send buffers, which unregister from its ring.
}

void Reactor::start(std::promise<std::string> &ready) {
    thread_ = std::thread([this, &ready] { run(ready); });
}

void Reactor::join() {
    if (thread_.joinable()) thread_.join();
}

ReactorStats Reactor::stats() const noexcept {
    return ReactorStats{accepted_.load(std::memory_order_relaxed), open_.load(std::memory_order_relaxed),
                        requests_.load(std::memory_order_relaxed), http2_connections_.load(std::memory_order_relaxed),
                        http2_streams_.load(std::memory_order_relaxed)};
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
        while (run_once(true)) {
        }
    } catch (const std::exception &failure) {
        log(LogLevel::error, "reactor {} failed: {}", index_, failure.what());
        std::abort();
    }
    log(LogLevel::debug, "reactor {} stopped", index_);
}

std::string Reactor::setup() {
    backend_ = backend_kind_ == IoBackendKind::epoll ? make_epoll_backend(*this) : make_uring_backend(*this);
    if (std::string error = backend_->setup(); !error.empty()) return error;
    backend_->init_send_buffers();
    now_ms_ = monotonic_ms();
    timers_ = std::make_unique<TimerWheel>(timer_tick_ms, timer_slots, now_ms_);
    slots_.reserve(std::min<std::size_t>(config_.max_connections, 4096));
    if (index_ == 0) log(LogLevel::debug, "{}", backend_->describe());
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) backend_->start_accepting(i);
    return {};
}

std::string Reactor::setup_inline(std::function<void()> wake) {
    inline_ = true;
    inbox_.wake_locally(std::move(wake));
    return setup();
}

bool Reactor::finished() const noexcept { return draining_ && open_connections_ == 0 && !backend_->accepting(); }

bool Reactor::run_ready() {
    if (done_) return false;
    // The order of run_once, turned around so that everything this run caused is submitted before it
    // returns: the loop that drives us may next sleep in its own poll, with nothing else to flush for us.
    if (inbox_.has_work()) on_wake();
    backend_->wait_and_dispatch(0);
    run_timers();
    do {
        deliver_sent_notifications();
        flush_output();
    } while (!sent_notifications_.empty());
    handler_.on_batch_end(index_);
    backend_->submit();
    if (finished() && !backend_->has_pending()) done_ = true;
    return !done_;
}

int Reactor::tick_ms(bool booked) noexcept {
    if (done_) return -1;
    // Every deadline armed since the last call: a held run covers them unless one is earlier.
    const std::optional<std::uint64_t> armed_since = timers_->take_earliest_scheduled_hint();
    booked = booked && booked_run_ms_ > now_ms_;
    std::optional<std::uint64_t> due = booked ? armed_since : timers_->next_deadline_hint();
    // Draining (open connections are closed as they finish) and an accept retry progress by ticks.
    if (draining_ || accept_retry_at_ms_ != 0) due = std::min(due.value_or(UINT64_MAX), now_ms_ + timer_tick_ms);
    if (!due || (booked && *due >= booked_run_ms_)) return -1;
    // A far deadline is asked for in steps, so a clock that jumps cannot leave it booked for hours.
    const std::uint64_t wait_ms = *due <= now_ms_ ? 0 : std::min<std::uint64_t>(*due - now_ms_, 60'000);
    booked_run_ms_ = now_ms_ + wait_ms;
    return static_cast<int>(wait_ms);
}

void Reactor::drive_to_end() {
    while (run_ready()) {
        if (wants_run()) continue;
        const int wait_ms = tick_ms();
        backend_->wait_and_dispatch(wait_ms < 0 ? static_cast<int>(timer_tick_ms) : wait_ms);
    }
}

bool Reactor::run_once(bool block) {
    // Everything a batch caused (sent notifications, output that resumes stashed input and so calls
    // handlers again) happens before on_batch_end, so a handler that wakes its consumer there never
    // leaves work behind while the reactor sleeps.
    do {
        deliver_sent_notifications();
        flush_output();
    } while (!sent_notifications_.empty());
    handler_.on_batch_end(index_);
    if (finished()) return false;

    // Timeouts are driven by one wake per tick while any timer is armed, not by a timeout per connection.
    int timeout_ms = -1;
    if (timers_->size() > 0 || accept_retry_at_ms_ != 0 || draining_) timeout_ms = static_cast<int>(timer_tick_ms);
    backend_->wait_and_dispatch(block ? timeout_ms : 0);
    run_timers();
    return true;
}

void Reactor::update_clock() noexcept { now_ms_ = monotonic_ms(); }

// ---------------------------------------------------------------------------------------------
// Connections

Stream *Reactor::accept_stream(std::uint32_t listener, int fd) {
    accept_pause_logged_ = false;
    std::uint32_t slot = 0;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else if (slots_.size() < config_.max_connections) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(streams_->make_stream(*this, slot));
        slot_generations_.push_back(0);
    } else {
        ::close(fd);  // over --max-connections: refuse rather than degrade everyone
        return nullptr;
    }
    Stream &stream = *slots_[slot];
    stream.attach(fd, slot_generations_[slot], listeners_[listener].is_unix);
    stream.on_open();
    ++open_connections_;
    accepted_.fetch_add(1, std::memory_order_relaxed);
    open_.fetch_add(1, std::memory_order_relaxed);
    if (!backend_->watch(stream)) {
        teardown(stream);
        return nullptr;
    }
    backend_->start_reading(stream);
    // Accepted after the drain began (a completion already on its way, or the queue taken in begin_drain): the
    // client connected while we listened, so it is served like the open connections (one answer, Connection:
    // close) rather than closed unanswered.
    if (draining_) stream.begin_drain();
    return &stream;
}

void Reactor::retry_accept_later(std::uint32_t, int error) noexcept {
    // Out of descriptors: retry on the next timer tick instead of spinning.
    if (!accept_pause_logged_)
        log(LogLevel::warning, "reactor {}: accept failed ({}); retrying", index_, std::strerror(error));
    accept_pause_logged_ = true;
    accept_retry_at_ms_ = now_ms_ + timer_tick_ms;
}

Stream *Reactor::stream_at(std::uint32_t slot, std::uint32_t generation24) noexcept {
    if (slot >= slots_.size() || !slots_[slot] || (slot_generations_[slot] & 0xffffffu) != generation24) return nullptr;
    return slots_[slot].get();
}

void Reactor::stop_reading(Stream &stream) {
    stream.set(STREAM_F_READ_STOPPED);
    if (stream.has(STREAM_F_READING)) backend_->stop_reading(stream);
}

void Reactor::start_reading(Stream &stream) {
    stream.clear(STREAM_F_READ_STOPPED);
    if (stream.has(STREAM_F_READING | STREAM_F_TEARDOWN)) return;
    backend_->start_reading(stream);
}

void Reactor::teardown(Stream &stream) {
    if (stream.has(STREAM_F_TEARDOWN)) return;
    stream.on_teardown();
    stream.set(STREAM_F_TEARDOWN);
    timers_->cancel(stream.timer);
    backend_->teardown(stream);
}

void Reactor::finish_op(Stream &stream) {
    if (--stream.pending_ops > 0 || !stream.has(STREAM_F_TEARDOWN)) return;
    const std::uint32_t slot = stream.slot();
    stream.release();
    ++slot_generations_[slot];
    free_slots_.push_back(slot);
    --open_connections_;
    open_.fetch_sub(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// Output

void Reactor::want_send(Stream &stream) {
    if (stream.has(STREAM_F_DIRTY)) return;
    stream.set(STREAM_F_DIRTY);
    dirty_.push_back(&stream);
}

void Reactor::flush_output() {
    // Issuing output can mark streams dirty again (a drained queue resumes input): loop.
    while (!dirty_.empty()) {
        std::vector<Stream *> batch;
        batch.swap(dirty_);
        for (Stream *stream : batch) {
            if (!stream->has(STREAM_F_DIRTY)) continue;
            stream->clear(STREAM_F_DIRTY);
            if (stream->has(STREAM_F_IN_USE) && !stream->has(STREAM_F_TEARDOWN)) issue_output(*stream);
        }
        if (dirty_.empty()) dirty_.swap(batch), dirty_.clear();  // keep the capacity
    }
}

void Reactor::issue_output(Stream &stream) {
    if (stream.has(STREAM_F_SEND_IN_FLIGHT)) return;
    const std::error_code error = stream.prepare_output(sent_scratch_);
    take_sent(sent_scratch_);
    if (error) {
        stream.on_send_error();
        return;
    }
    OutputQueue &output = stream.socket_output();
    if (output.empty()) {
        stream.on_output_drained();
        return;
    }
    backend_->send(stream);
}

void Reactor::consume_output(Stream &stream, std::size_t bytes) {
    stream.socket_output().consume(bytes, stream.zero_copy_notifications > 0, sent_scratch_);
    take_sent(sent_scratch_);
}

void Reactor::consume_file(Stream &stream, std::size_t bytes) {
    stream.socket_output().consume_file(bytes, sent_scratch_);
    take_sent(sent_scratch_);
}

void Reactor::take_sent(std::vector<ExchangeId> &sent) {
    if (sent.empty()) return;
    sent_notifications_.insert(sent_notifications_.end(), sent.begin(), sent.end());
    sent.clear();
}

void Reactor::deliver_sent_notifications() {
    while (!sent_notifications_.empty()) {
        std::vector<ExchangeId> due;
        due.swap(sent_notifications_);
        for (const ExchangeId &id : due) handler_.on_sent(id);
    }
}

// ---------------------------------------------------------------------------------------------
// Inbox, timers, shutdown

void Reactor::on_wake() {
    inbox_.drain(commands_);
    for (Command &command : commands_) {
        if (command.kind == Command::Kind::stop) {
            begin_drain();
            continue;
        }
        Stream *stream = stream_for(command.id);
        if (stream) stream->on_command(command);
        else release_command(command);  // the exchange is gone: release what the part holds
    }
    commands_.clear();
}

Stream *Reactor::stream_for(const ExchangeId &id) noexcept {
    if (id.reactor != index_ || id.slot >= slots_.size() || !slots_[id.slot]) return nullptr;
    Stream &stream = *slots_[id.slot];
    if (!stream.has(STREAM_F_IN_USE) || stream.has(STREAM_F_TEARDOWN) || !stream.matches(id)) return nullptr;
    return &stream;
}

void Reactor::run_timers() {
    if (accept_retry_at_ms_ != 0 && now_ms_ >= accept_retry_at_ms_) {
        accept_retry_at_ms_ = 0;
        for (std::uint32_t i = 0; i < listeners_.size(); ++i) backend_->start_accepting(i);
    }
    timers_->expire(now_ms_, [this](TimerNode &node) {
        if (node.owner < slots_.size() && slots_[node.owner] && slots_[node.owner]->has(STREAM_F_IN_USE))
            slots_[node.owner]->on_timeout();
    });
}

void Reactor::begin_drain() {
    if (draining_) return;
    draining_ = true;
    backend_->stop_accepting();
    for (auto &slot : slots_)
        if (slot && slot->has(STREAM_F_IN_USE) && !slot->has(STREAM_F_TEARDOWN)) slot->begin_drain();
    close_own_listeners();
}

void Reactor::close_own_listeners() {
    // The kernel queued connections on this reactor's listening sockets that nobody may take after the close, and
    // closing the last descriptor of a socket resets them. They are accepted and served first; the close then
    // makes new connections refused at once (the client can go elsewhere) instead of queued until the drain ends
    // and reset then. Every descriptor here is this reactor's own (a shared socket reaches each reactor as a dup,
    // see listener.cpp): closing it ends only our hold. A socket that others still hold (the replacement worker
    // and the supervisor during a rolling restart, the other workers on a Unix socket) stays open, and its queue
    // goes on being served by them; on a stop the supervisor has closed its copy first, so the last worker to get
    // here closes the socket.
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
        ListenSocket &socket = listeners_[i];
        if (socket.fd < 0) continue;
        if (const int flags = ::fcntl(socket.fd, F_GETFL); flags >= 0 && !(flags & O_NONBLOCK))
            ::fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK);  // accept4 below must stop at an empty queue
        for (;;) {
            const int fd = ::accept4(socket.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                break;  // empty (EAGAIN), or out of descriptors: what is left is reset by the close
            }
            accept_stream(i, fd);
        }
        // io_uring: the cancelled accept holds its own reference until the cancel completes; epoll: the socket
        // left the interest list in stop_accepting.
        if (socket.owned) ::close(socket.fd);
        socket.fd = -1;
    }
}

} // namespace engine::core
