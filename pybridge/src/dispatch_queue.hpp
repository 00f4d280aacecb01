#pragma once
// The hand-off from reactor threads to the Python loop thread (engine/handoff.hpp): one queue per reactor (the
// loop takes a whole batch at once, so the lock is held for a pointer swap) behind one doorbell, the eventfd the
// loop watches with add_reader. The eventfd is written at most once per loop drain: the first event after a
// drain writes it, every later one sees the loop already signalled. (Waking at on_batch_end instead would be the
// same count under load, but the engine also calls handlers outside its completion batches, with no
// on_batch_end before it sleeps: see pybridge/ENGINE_REQUESTS.md #3.)

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "engine/handoff.hpp"
#include "engine/request.hpp"

namespace bridge {

struct DispatchEvent {
    /// static_answer: a request a static route answered on the reactor (static_answers.hpp), for the observers.
    enum class Kind : std::uint8_t { request, body, abort, sent, ws_message, ws_close, static_answer };
    Kind kind = Kind::request;
    bool last = false;                          ///< Kind::body: the last body bytes of the request
    bool text = false;                          ///< Kind::ws_message: a text (UTF-8) message
    std::uint16_t close_code = 0;               ///< Kind::ws_close; Kind::static_answer: the status
    std::uint64_t body_bytes = 0;               ///< Kind::static_answer
    std::int64_t elapsed_ns = 0;                ///< Kind::static_answer
    engine::ExchangeId id;
    std::unique_ptr<engine::Request> request;  ///< Kind::request and static_answer
    /// Kind::request: the flow gate of its body, or of its messages when it is a WebSocket handshake.
    std::shared_ptr<BodyGate> body_gate;
    std::string data;                           ///< Kind::body and ws_message: the bytes; ws_close: the reason
};

class DispatchQueue {
  public:
    /// Creates the eventfd; throws std::system_error if the kernel refuses. `single_threaded`: the reactor runs on
    /// the loop's own thread and the loop drains right after each engine run (--runtime-mode st), so pushes need
    /// neither a lock nor a wake, and only a wake_loop() from outside an engine run writes the eventfd.
    explicit DispatchQueue(unsigned reactor_count, bool single_threaded = false);
    DispatchQueue(const DispatchQueue &) = delete;
    DispatchQueue &operator=(const DispatchQueue &) = delete;

    /// The descriptor the loop watches (readable when there is something to take).
    int wake_fd() const noexcept { return doorbell_.fd(); }

    /// Reactor thread: queue an event and make sure the loop is (or already was) woken.
    void push(std::uint32_t reactor, DispatchEvent &&event);

    /// Loop thread: moves every queued event into `out` (in per-reactor order) and re-arms the wake.
    void take(std::vector<DispatchEvent> &out);

    /// Any thread: wake the loop now (at most one write until the next take()).
    void wake_loop() noexcept { wake(); }

    /// Single-threaded: marks the span of an engine run on the loop thread, after which the loop drains anyway
    /// (drain requests in it need no eventfd write).
    void set_engine_running(bool running) noexcept { engine_running_.store(running, std::memory_order_relaxed); }
    /// Single-threaded: events wait for a drain.
    bool has_events() const noexcept { return !inboxes_[0].events.empty_unlocked(); }

  private:
    struct alignas(64) Inbox {
        engine::HandoffQueue<DispatchEvent> events;
    };

    void wake() noexcept;

    engine::Doorbell doorbell_{true};  ///< nonblocking: take() reads it with read()
    const bool single_threaded_;
    std::atomic<bool> engine_running_{false};  ///< single-threaded only; written by the loop thread
    std::unique_ptr<Inbox[]> inboxes_;
    unsigned inbox_count_ = 0;
};

} // namespace bridge
