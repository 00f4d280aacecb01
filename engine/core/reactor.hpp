#pragma once
// One reactor per thread: its ring, provided buffers, send buffers, listeners, connection slots,
// timer wheel and inbox. Completions are dispatched with one switch on the op (STYLE: proxy.c's
// handle_cqe()); failures go to per-op handling before the normal path.

#include "core/buffer_ring.hpp"
#include "core/inbox.hpp"
#include "core/listener.hpp"
#include "core/ring.hpp"
#include "core/send_buffer_pool.hpp"
#include "core/timer_wheel.hpp"
#include "engine/config.hpp"
#include "engine/handler.hpp"
#include "engine/server.hpp"
#include "http/date_cache.hpp"

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace engine::http {
class Connection;
}
namespace engine::tls {
class TlsContext;
}

namespace engine::core {

class Reactor {
  public:
    Reactor(std::uint32_t index, const ServerConfig &config, Handler &handler, std::vector<ListenSocket> listeners);
    ~Reactor();
    Reactor(const Reactor &) = delete;
    Reactor &operator=(const Reactor &) = delete;

    /// Starts the thread; `ready` receives "" once the ring is up, or the startup error.
    void start(std::promise<std::string> &ready);
    void join();
    std::vector<ListenSocket> &listeners() noexcept { return listeners_; }
    Inbox &inbox() noexcept { return inbox_; }
    ReactorStats stats() const noexcept;
    /// Makes every connection accepted from now on speak TLS with `context` (shared by all reactors).
    void set_tls_context(std::shared_ptr<const tls::TlsContext> context) { tls_context_ = std::move(context); }
    const tls::TlsContext *tls_context() const noexcept { return tls_context_.get(); }

    // Services for connections (reactor thread only).
    const ServerConfig &config() const noexcept { return config_; }
    Handler &handler() noexcept { return handler_; }
    std::uint32_t index() const noexcept { return index_; }
    SendBufferPool &send_buffers() noexcept { return send_buffers_; }
    TimerWheel &timers() noexcept { return *timers_; }
    std::uint64_t now_ms() const noexcept { return now_ms_; }
    std::string_view date() noexcept { return dates_.now(); }
    bool draining() const noexcept { return draining_; }
    std::uint32_t next_exchange_generation() noexcept { return ++exchange_counter_; }
    void count_request() noexcept { requests_.fetch_add(1, std::memory_order_relaxed); }

    void want_send(http::Connection &connection);
    void stop_reading(http::Connection &connection);
    void start_reading(http::Connection &connection);
    /// Shuts the socket down and frees the slot once every outstanding operation has completed.
    void teardown(http::Connection &connection);
    void defer_sent_notification(ExchangeId id) { sent_notifications_.push_back(id); }

  private:
    void run(std::promise<std::string> &ready);
    std::string setup();
    void loop();
    void handle_completion(io_uring_cqe *cqe);
    void on_accept(std::uint32_t listener, io_uring_cqe *cqe);
    void on_recv(http::Connection &connection, io_uring_cqe *cqe);
    void on_send(http::Connection &connection, io_uring_cqe *cqe, bool zero_copy);
    void on_writable(http::Connection &connection, int result);
    void on_wake();
    void arm_accept(std::uint32_t listener);
    void arm_recv(http::Connection &connection);
    void arm_wake();
    void arm_tick();
    void issue_output(http::Connection &connection);
    void send_file(http::Connection &connection);
    void flush_output();
    void finish_op(http::Connection &connection);
    void begin_drain();
    void run_timers();
    void deliver_sent_notifications();
    http::Connection *connection_for(const ExchangeId &id) noexcept;

    const std::uint32_t index_;
    const ServerConfig &config_;
    Handler &handler_;
    std::vector<ListenSocket> listeners_;
    std::shared_ptr<const tls::TlsContext> tls_context_;
    std::vector<bool> accept_armed_;

    Ring ring_;
    BufferRing recv_buffers_;
    SendBufferPool send_buffers_;
    Inbox inbox_;
    std::unique_ptr<TimerWheel> timers_;
    http::DateCache dates_;

    std::vector<std::unique_ptr<http::Connection>> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::vector<std::uint32_t> slot_generations_;
    std::vector<http::Connection *> dirty_;
    std::vector<http::Connection *> rearm_recv_;
    std::vector<Command> commands_;
    std::vector<ExchangeId> sent_notifications_;
    std::vector<ExchangeId> sent_scratch_;
    std::uint64_t wake_value_ = 0;
    __kernel_timespec tick_interval_{};
    bool tick_armed_ = false;

    std::uint64_t now_ms_ = 0;
    std::uint32_t exchange_counter_ = 0;
    std::uint32_t open_connections_ = 0;
    bool draining_ = false;
    bool stop_requested_ = false;
    bool accept_pause_logged_ = false;
    std::uint64_t accept_retry_at_ms_ = 0;  ///< re-arm accepts then (descriptors ran out)

    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> open_{0};
    std::atomic<std::uint64_t> requests_{0};

    std::thread thread_;
};

} // namespace engine::core
