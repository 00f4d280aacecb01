#pragma once
// What the two ASGI session kinds share (AsgiExchange: one HTTP request; AsgiWebSocket: one WebSocket
// connection), on the loop thread: the Python references a session takes (its server, the app's task, the
// futures receive() and send() hand out) and the one teardown that drops them on every path: finish() (the app
// returned or raised, it never started, the server closes) and clear() (the collector, or the object dying).
// A session's type implements GC traversal (asgi.cpp) through traverse()/clear() here.
//
// The server keeps one table of AsgiSession pointers and calls on_abort()/on_sent() through it (one virtual call
// per event); the app's receive()/send() stay non-virtual on each kind (asgi.cpp binds them per class).

#include <Python.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <pybind11/pybind11.h>

#include "body_gate.hpp"
#include "engine/handler.hpp"
#include "live_objects.hpp"
#include "pending_future.hpp"

namespace bridge {

class AsgiServer;

/// The futures of send() calls waiting for the peer to catch up (each counted by pending_future.hpp). One is
/// held inline: an HTTP exchange never has more, so waiting costs it no allocation.
class SendWaiters {
  public:
    /// Holds `future` (from AsgiSession::new_future) and returns it.
    pybind11::object add(pybind11::object future);
    /// Empties the list, then calls `resolve(future)` for each future still waiting (not cancelled by its app).
    /// All are taken (and uncounted) first, so a resolve that raises leaves none counted as held.
    template <typename Resolve> void resolve_each(Resolve &&resolve) {
        pybind11::object first = take_waiting_future(first_);
        std::vector<pybind11::object> more;
        for (pybind11::object &slot : more_) {
            if (pybind11::object future = take_waiting_future(slot)) more.push_back(std::move(future));
        }
        more_.clear();
        if (first) resolve(first);
        for (pybind11::object &future : more) resolve(future);
    }
    /// Empties the list without resolving anything.
    void drop();
    int traverse(visitproc visit, void *arg) const;

  private:
    pybind11::object first_;
    std::vector<pybind11::object> more_;
};

class AsgiSession {
  public:
    enum class Kind : std::uint8_t { http, websocket };

    virtual ~AsgiSession();
    AsgiSession(const AsgiSession &) = delete;
    AsgiSession &operator=(const AsgiSession &) = delete;

    // --- the runner's side (uring_granian/asgi.py) ---
    /// The app returned: answers what it left unanswered (answer_return()), then finish(). Returns (logging
    /// level, line) to log (log_note.hpp), or None.
    pybind11::object app_returned();
    /// The app raised `error`: answers what it left unanswered (answer_failure()), then finish(). Returns whether
    /// the error deserves an error log (not for cancellation, nor for ClientDisconnected after the peer left).
    bool app_failed(pybind11::handle error);

    // --- the server's side (events from the reactor) ---
    /// The connection ended under the session.
    virtual void on_abort() = 0;
    /// Bytes posted with notify_sent went out.
    virtual void on_sent() = 0;
    void set_task(pybind11::object task);
    pybind11::handle task() const noexcept { return task_; }
    bool disconnected() const noexcept { return disconnected_; }
    bool finished() const noexcept { return finished_; }
    engine::ExchangeId id() const noexcept { return id_; }
    Kind kind() const noexcept { return kind_; }
    /// Ends the session, with or without its app: wakes what waits (receive() gets the disconnect, send() is
    /// cancelled), drops every Python reference and has the server forget it. Idempotent.
    void finish();

    // --- garbage collector support ---
    int traverse(visitproc visit, void *arg) const;
    void clear();

  protected:
    AsgiSession(Kind kind, std::atomic<std::int64_t> &live_counter, pybind11::object owner, AsgiServer *server,
                engine::ExchangeId id, std::shared_ptr<BodyGate> gate);

    // --- what each kind answers ---
    /// app_returned(): answer what the app left unanswered; the note to log, or None.
    virtual pybind11::object answer_return() = 0;
    /// app_failed(): the same after an exception.
    virtual void answer_failure() = 0;
    /// What receive() reports once the session is over.
    virtual pybind11::object disconnect_message() const = 0;
    /// finish(): input queued for receive() will never be taken.
    virtual void drop_input() noexcept = 0;

    // --- shared plumbing ---
    pybind11::object new_future();
    /// receive(): refuses a second receive() while one waits (ProtocolError); forgets one that is done.
    void refuse_concurrent_receive();
    /// receive(): the app must wait; returns the future it awaits.
    pybind11::object wait_in_receive();
    bool receive_waiting() const;
    /// A receive() still waiting gets `message`.
    void resolve_receive(pybind11::handle message);
    /// A receive() still waiting gets disconnect_message().
    void wake_receiver();
    /// send(): the app must wait until resume_senders(); returns the future it awaits.
    pybind11::object wait_in_send() { return send_waiters_.add(new_future()); }
    void resume_senders();
    /// The peer is gone: a waiting receive() gets disconnect_message(), every waiting send() ClientDisconnected.
    void wake_waiters_after_disconnect();
    /// send(): a waiting send() is forgotten unresolved (an HTTP exchange keeps one).
    void forget_senders() { send_waiters_.drop(); }

    /// The app consumed `amount` of what the gate counts: reading resumes on the downward crossing of the mark.
    void consume_credit(std::int64_t amount);
    /// The reactor drops further input instead of queueing it (the gate stays, for the credit still owed).
    void discard_input() noexcept;
    /// The app wants no more input: the reactor drops it, and a paused reader is resumed so the engine can finish
    /// reading (an HTTP body) or see the peer's close (a WebSocket).
    void release_gate();

    AsgiServer *server_;
    engine::ExchangeId id_;
    bool disconnected_ = false;  ///< the peer is gone (on_abort), or the WebSocket session ended
    bool finished_ = false;
    bool input_ended_ = false;  ///< the peer sent all its input (an HTTP body's last bytes): no resume needed
    pybind11::object receive_future_;

  private:
    void resume_reading();

    LiveCount live_;
    Kind kind_;
    pybind11::object owner_;  ///< the AsgiServer's Python object, keeping server_ valid
    std::shared_ptr<BodyGate> gate_;
    SendWaiters send_waiters_;
    pybind11::object task_;
};

} // namespace bridge
