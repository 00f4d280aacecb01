#pragma once
// The ASGI side of one worker: owns the engine, the dispatch queue it feeds, and the table of live exchanges;
// drain() (the loop's reader callback on the queue's eventfd) turns reactor events into scopes, asyncio Tasks
// and exchange events. Holds Python references (app, loop, exchanges), so its type implements GC traversal.

#include <Python.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include <pybind11/pybind11.h>

#include "asgi_scope.hpp"
#include "bridge_handler.hpp"
#include "dispatch_queue.hpp"
#include "engine/server.hpp"
#include "exchange_id_hash.hpp"
#include "lent_bytes.hpp"
#include "live_objects.hpp"
#include "loop_driver.hpp"
#include "settings.hpp"

namespace bridge {

class AsgiSession;

/// The Python callables and objects the server calls; given once at construction.
struct AsgiCallables {
    pybind11::object app;
    pybind11::object loop;
    pybind11::object runner;  ///< uring_granian.asgi.run_asgi(app, scope, exchange) -> coroutine
    pybind11::object state;   ///< lifespan state dict (or None)
    pybind11::object logger;  ///< the uring_granian logger
    /// None, or observer(scope, status, seconds, size) for each request a static route answered on a reactor.
    pybind11::object static_observer = pybind11::none();
};

class AsgiServer {
  public:
    AsgiServer(pybind11::handle engine_settings, AsgiCallables callables, AsgiOptions options);
    ~AsgiServer();
    AsgiServer(const AsgiServer &) = delete;
    AsgiServer &operator=(const AsgiServer &) = delete;

    /// Opens the sockets and starts the reactors, without the GIL; single-threaded, sets the reactor up on this
    /// thread and has the loop drive it (run_ready). `self` is this server's Python object. Throws
    /// engine::StartupError.
    void start(pybind11::handle self);
    /// Single-threaded: the loop's callback (the reactor's fd is readable, work was left, a timer is due): runs
    /// the engine, then drains what it queued into Python, then sends what the drain answered at once.
    void run_ready(pybind11::handle self);
    /// Single-threaded: a future done once a stop has drained the engine (None otherwise).
    pybind11::object finished() const { return driver_ ? driver_->finished() : pybind11::none(); }
    bool single_threaded() const noexcept { return options_.single_threaded; }
    /// Graceful: stop accepting; in-flight requests go on until done or the graceful timeout. Non-blocking.
    void stop();
    /// Blocks, without the GIL, until every reactor has exited.
    void wait();
    /// Reader callback: handles everything the reactors queued. `self` is this server's Python object.
    void drain(pybind11::handle self);
    /// After wait(): ends every exchange left, drops every Python reference. The server cannot restart.
    void close();

    int wake_fd() const noexcept { return queue_->wake_fd(); }
    std::uint16_t bound_port() const noexcept { return engine_->bound_port(); }
    /// The engine's per-reactor counters (see engine_stats in engine_lifecycle.hpp).
    pybind11::list stats() const;
    pybind11::list running_tasks() const;
    std::size_t registered_count() const noexcept { return exchanges_.size(); }

    // --- for exchanges ---
    void post(engine::ExchangeId id, engine::ResponsePart &&part) { engine_->post(id, std::move(part)); }
    void abort(engine::ExchangeId id) { engine_->abort(id); }
    void resume_body(engine::ExchangeId id) { engine_->resume_body(id); }
    void accept_websocket(engine::ExchangeId id, engine::WebSocketAccept &&accept) {
        engine_->accept_websocket(id, std::move(accept));
    }
    void post_websocket(engine::ExchangeId id, engine::WebSocketOutbound &&outbound) {
        engine_->post_websocket(id, std::move(outbound));
    }
    void resume_websocket(engine::ExchangeId id) { engine_->resume_websocket(id); }
    pybind11::object create_future() const { return create_future_(); }
    LentBytes &lent_bytes() noexcept { return *lent_bytes_; }
    /// The exchange ended: forget it (dropping the table's reference) and let a waiting request start.
    void exchange_finished(engine::ExchangeId id);
    /// The exchange's response is complete while a receive() of its app still waits: that receive gets
    /// http.disconnect when the app returns, or at the latest a grace period after the connection takes its
    /// next request.
    void note_lingering_receive(engine::ExchangeId id) { lingering_receives_.push_back(id); }
    /// The grace after the next request is over: a receive() still waiting on `id` gets http.disconnect.
    void end_lingering_receive(engine::ExchangeId id);

    // --- garbage collector support ---
    int traverse(visitproc visit, void *arg) const;
    void clear();

  private:
    struct Registered {
        pybind11::object object;          ///< the session's Python object (an AsgiExchange or an AsgiWebSocket)
        AsgiSession *session = nullptr;   ///< the same object's C++ side
        bool app_started = false;         ///< counts in running_
    };
    struct Waiting {
        engine::ExchangeId id;
        pybind11::object scope;
    };

    void handle_request(pybind11::handle self, DispatchEvent &event, std::vector<Waiting> &to_start);
    ScopeContext scope_context() const;
    /// A static route's answer: its scope goes to callables_.static_observer.
    void report_static(const DispatchEvent &event);
    void start_app(const Waiting &request);
    AsgiSession *find(engine::ExchangeId id) const;
    /// The session of `id` if it is a `Session` (AsgiExchange or AsgiWebSocket), else nullptr.
    template <typename Session> Session *find_kind(engine::ExchangeId id) const;
    /// Puts a new session (its scope is built) in the table.
    template <typename Session> void register_session(std::unique_ptr<Session> session);
    /// Puts a WebSocket handshake's AsgiWebSocket in the table.
    void register_websocket(pybind11::handle self, DispatchEvent &event);
    bool may_start_more() const noexcept;
    /// A new request on `id`'s connection slot: the exchanges before it there are over for good, and their
    /// waiting receive()s get http.disconnect after a grace (see lingering_receive_grace_seconds).
    void end_lingering_receives(pybind11::handle self, engine::ExchangeId id);

    LiveCount live_;
    engine::ServerConfig config_;
    AsgiOptions options_;
    std::shared_ptr<DispatchQueue> queue_;
    /// The Python bytes lent to the engine; declared before it, so it outlives the engine's last release.
    std::unique_ptr<LentBytes> lent_bytes_;
    std::shared_ptr<BridgeHandler> handler_;
    /// Single-threaded only. Declared before the engine, so it outlives the engine's wake callback into it.
    std::unique_ptr<LoopDriver> driver_;
    std::unique_ptr<engine::Server> engine_;
    bool started_ = false;
    bool closed_ = false;

    AsgiCallables callables_;
    pybind11::object root_path_str_;
    pybind11::object server_cert_pem_;  ///< str, or None (see server_certificate_pem)
    pybind11::object create_future_;  ///< loop.create_future
    pybind11::object create_task_;    ///< loop.create_task, or asyncio.Task for eager starts
    pybind11::object eager_kwnames_;  ///< ("loop", "eager_start") when starting tasks eagerly

    std::unordered_map<engine::ExchangeId, Registered, ExchangeIdHash> exchanges_;
    std::size_t running_ = 0;           ///< exchanges whose app has started and not finished
    std::deque<Waiting> waiting_;       ///< requests held back by the backpressure limit
    std::vector<DispatchEvent> events_; ///< drain()'s batch, kept to reuse its capacity
    /// Completed exchanges whose app still waits in receive() (Django's disconnect listener): a short list,
    /// ids only (no references), checked when a request arrives.
    std::vector<engine::ExchangeId> lingering_receives_;
};

} // namespace bridge
