#pragma once
// What one WSGI request shares between the pump thread (which routes the reactors' events, never holding the
// GIL) and the WSGI thread running the app: buffered body bytes, the disconnect flag and the send-side
// backpressure count, behind one mutex and one condition variable. Plain C++: it holds no Python object, so an
// app that keeps wsgi.input or write() around after its request cannot make it part of a reference cycle.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "live_objects.hpp"
#include "send_window.hpp"

namespace bridge {

class WsgiServer;

class WsgiChannel {
  public:
    WsgiChannel(WsgiServer *server, engine::ExchangeId id, std::shared_ptr<BodyGate> gate, bool has_body);
    WsgiChannel(const WsgiChannel &) = delete;
    WsgiChannel &operator=(const WsgiChannel &) = delete;

    // --- the pump thread's side (events from the reactors) ---
    void deliver_body(std::string &&data, bool last);
    void mark_aborted();
    void mark_sent();

    // --- the WSGI thread's side; every wait releases the GIL (the caller holds it) ---
    /// Moves up to `limit` buffered body bytes into `out`, waiting for some when none are buffered. Stops at the
    /// first '\n' when `until_newline`. Returns false once the body is complete and drained (end of input).
    /// Raises ClientDisconnected (pybind11::error_already_set) when the client left before its body ended.
    bool read_some(std::string &out, std::size_t limit, bool until_newline);
    /// Posts a response part; with more than SendWindow's high-water mark queued ahead of it, waits (GIL
    /// released) until the client has taken the queue down to the low-water mark.
    /// Returns false (the part dropped) once the client is gone.
    bool send(engine::ResponsePart &&part, std::size_t body_bytes);
    /// The request is over (the app's iterable closed): later calls on wsgi.input/write() raise, the rest of
    /// an unread body is discarded by the engine, and the pump forgets the channel.
    void finish();

    bool aborted() const;
    bool finished() const;
    engine::ExchangeId id() const noexcept { return id_; }
    WsgiServer *server() const noexcept { return server_; }

  private:
    /// Waits (GIL released) until `ready()` is true; the lock is held when it is called.
    template <typename Ready> void wait_until(std::unique_lock<std::mutex> &lock, Ready ready);
    void consume_body_credit(std::size_t bytes);

    LiveCount live_;
    WsgiServer *server_;
    engine::ExchangeId id_;
    std::shared_ptr<BodyGate> gate_;  ///< flow control of the request body (null when there is none)

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> body_;    ///< arrived, unread body bytes
    std::size_t front_offset_ = 0;    ///< bytes of body_.front() already read
    bool body_complete_;
    bool aborted_ = false;
    bool finished_ = false;
    /// Send backpressure (send_window.hpp). A blocked app thread resumes only once the queue ahead of it is empty: each wake is a thread switch and the GIL, and resuming at half the mark woke it about every
    /// 256 KiB (a 64 x 64 KiB body took about twice as long, measured on a busy machine); what was handed over
    /// still sits in the kernel's socket buffer, so the connection does not go idle meanwhile.
    SendWindow send_window_{0};
};

} // namespace bridge
