#pragma once
// One reactor per thread: listeners, connection slots, send buffers, timer wheel and inbox, and one
// I/O backend (io_uring or epoll, chosen once at start-up) that moves the bytes. Everything here exists
// once for both backends; the backend reports its completions or readiness through the calls in the
// "backend side" block, and the streams (protocols) see only the StreamHost interface.

#include "core/inbox.hpp"
#include "core/io_backend.hpp"
#include "core/listener.hpp"
#include "core/send_buffer_pool.hpp"
#include "core/stream.hpp"
#include "core/timer_wheel.hpp"
#include "engine/config.hpp"
#include "engine/handler.hpp"
#include "engine/server.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace engine::core {

class Reactor final : public StreamHost {
  public:
    Reactor(std::uint32_t index, const ServerConfig &config, Handler &handler, std::vector<ListenSocket> listeners,
            std::unique_ptr<StreamFactory> streams, IoBackendKind backend);
    ~Reactor();
    Reactor(const Reactor &) = delete;
    Reactor &operator=(const Reactor &) = delete;

    /// Starts the thread; `ready` receives "" once the backend is up, or the startup error.
    void start(std::promise<std::string> &ready);
    void join();
    std::vector<ListenSocket> &listeners() noexcept { return listeners_; }
    Inbox &inbox() noexcept { return inbox_; }
    ReactorStats stats() const noexcept;

    /// The reactor thread's own steps, also used by tests that drive a reactor from their thread: set up
    /// ("" or the error), then one iteration (waiting at most a tick when `block`); false once a drain
    /// has finished.
    std::string setup();
    bool run_once(bool block);

    // --- driven by another loop (single-threaded mode), instead of start() ---------------------------
    /// Sets the reactor up on the calling thread, whose event loop then drives it: "" or the startup error.
    /// `wake` is called on that thread when a post gives the reactor work (so the loop schedules a run).
    std::string setup_inline(std::function<void()> wake);
    /// Runs what is ready, never blocking: queued commands, completions, due timers, then the output they
    /// caused, submitted before returning. False once a drain has finished (the reactor is done).
    bool run_ready();
    /// Work is left that needs no wait on poll_fd(): run again soon.
    bool wants_run() const noexcept { return inbox_.has_work() || backend_->has_pending() || !dirty_.empty(); }
    /// Milliseconds until timers (or an accept retry, or a drain's progress) need run_ready() although
    /// nothing happens on poll_fd(); -1 when nothing is armed. `booked`: the loop still holds the run this
    /// returned last; then only a deadline earlier than that one is returned (-1 otherwise), found in O(1).
    int tick_ms(bool booked = false) noexcept;
    /// Runs (blocking in the backend between runs) until the drain has finished: a stop without the loop.
    void drive_to_end();
    bool inline_mode() const noexcept { return inline_; }
    /// The descriptor that turns readable when run_ready() has completions to handle.
    int poll_fd() const noexcept { return backend_->poll_fd(); }

    // --- StreamHost (reactor thread only) ----------------------------------------------------------
    const ServerConfig &config() const noexcept override { return config_; }
    Handler &handler() noexcept override { return handler_; }
    std::uint32_t index() const noexcept override { return index_; }
    SendBufferPool &send_buffers() noexcept override { return send_buffers_; }
    TimerWheel &timers() noexcept override { return *timers_; }
    std::uint64_t now_ms() const noexcept override { return now_ms_; }
    bool draining() const noexcept override { return draining_; }
    std::uint32_t next_exchange_generation() noexcept override { return ++exchange_counter_; }
    void count_request() noexcept override { requests_.fetch_add(1, std::memory_order_relaxed); }
    void count_http2_connection() noexcept override { http2_connections_.fetch_add(1, std::memory_order_relaxed); }
    void count_http2_stream() noexcept override { http2_streams_.fetch_add(1, std::memory_order_relaxed); }
    void want_send(Stream &stream) override;
    void stop_reading(Stream &stream) override;
    void start_reading(Stream &stream) override;
    void teardown(Stream &stream) override;
    void defer_sent_notification(ExchangeId id) override { sent_notifications_.push_back(id); }

    // --- backend side -------------------------------------------------------------------------------
    /// Reads the monotonic clock; backends call it once per batch, before dispatching (deadlines
    /// armed while handling count from then).
    void update_clock() noexcept;
    /// A connection arrived on `listener`: a stream for it (reading already started), or null when it
    /// was refused (draining, over --max-connections; the fd is closed).
    Stream *accept_stream(std::uint32_t listener, int fd);
    /// Accepting on `listener` failed with a lack of descriptors or memory: retried at the next tick.
    void retry_accept_later(std::uint32_t listener, int error) noexcept;
    /// The stream in `slot` if it is in use and its generation's low 24 bits are `generation24`.
    Stream *stream_at(std::uint32_t slot, std::uint32_t generation24) noexcept;
    /// The kernel took `bytes` of the socket output (memory segments held while zero-copy sends are
    /// outstanding) or of the file at its front.
    void consume_output(Stream &stream, std::size_t bytes);
    void consume_file(Stream &stream, std::size_t bytes);
    /// One outstanding operation of a torn-down stream ended; the last frees the slot.
    void finish_op(Stream &stream);
    /// The inbox's eventfd fired: runs every queued command.
    void on_wake();
    const std::vector<ListenSocket> &listen_sockets() const noexcept { return listeners_; }

  private:
    void run(std::promise<std::string> &ready);
    bool finished() const noexcept;
    void issue_output(Stream &stream);
    void flush_output();
    void begin_drain();
    /// Draining: accepts what the kernel queued on this reactor's own (not shared) sockets, then closes them.
    void close_own_listeners();
    void run_timers();
    void deliver_sent_notifications();
    void take_sent(std::vector<ExchangeId> &sent);
    Stream *stream_for(const ExchangeId &id) noexcept;

    const std::uint32_t index_;
    const ServerConfig &config_;
    Handler &handler_;
    std::vector<ListenSocket> listeners_;
    std::unique_ptr<StreamFactory> streams_;
    const IoBackendKind backend_kind_;
    std::unique_ptr<IoBackend> backend_;

    SendBufferPool send_buffers_;
    Inbox inbox_;
    std::unique_ptr<TimerWheel> timers_;

    std::vector<std::unique_ptr<Stream>> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::vector<std::uint32_t> slot_generations_;
    std::vector<Stream *> dirty_;
    std::vector<Command> commands_;
    std::vector<ExchangeId> sent_notifications_;
    std::vector<ExchangeId> sent_scratch_;

    std::uint64_t now_ms_ = 0;
    std::uint32_t exchange_counter_ = 0;
    std::uint32_t open_connections_ = 0;
    bool draining_ = false;
    bool inline_ = false;   ///< driven by another loop on its thread (setup_inline)
    bool done_ = false;     ///< inline: the drain finished
    std::uint64_t booked_run_ms_ = 0;  ///< inline: when the run tick_ms() last asked for is due
    bool accept_pause_logged_ = false;
    std::uint64_t accept_retry_at_ms_ = 0;  ///< restart accepts then (descriptors ran out)

    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> open_{0};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> http2_connections_{0};
    std::atomic<std::uint64_t> http2_streams_{0};

    std::thread thread_;
};

} // namespace engine::core
