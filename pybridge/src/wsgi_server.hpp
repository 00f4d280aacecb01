#pragma once
// The WSGI side of one worker: the engine, fed through the bridge's BridgeHandler/DispatchQueue like ASGI, a
// pump thread (no GIL, ever) that takes the reactors' event batches off the queue's eventfd and routes them --
// new requests to the ready list, body/abort/sent events straight to the channel of the request they belong
// to -- and a pool of Python threads (started by uring_granian/wsgi.py) that block in serve_requests(), GIL
// released, until there is a request to run. The pump wakes one thread per new request, no more.

#include <Python.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pybind11/pybind11.h>

#include "bridge_handler.hpp"
#include "dispatch_queue.hpp"
#include "engine/server.hpp"
#include "exchange_id_hash.hpp"
#include "lent_bytes.hpp"
#include "live_objects.hpp"
#include "wsgi_channel.hpp"

namespace bridge {

/// The Python objects the server hands to every request; given once at construction.
struct WsgiCallables {
    pybind11::object app;
    pybind11::object errors_stream;  ///< environ["wsgi.errors"]
    pybind11::object file_wrapper;   ///< environ["wsgi.file_wrapper"] (uring_granian.wsgi.FileWrapper)
    pybind11::object logger;         ///< the uring_granian logger
    /// None, or observer(environ, status, seconds, size) for each request a static route answered on a reactor.
    pybind11::object static_observer = pybind11::none();
};

struct WsgiOptions {
    std::string root_path;      ///< url_path_prefix: SCRIPT_NAME, stripped from PATH_INFO
    bool multiprocess = false;  ///< environ["wsgi.multiprocess"]: more than one worker process
};

class WsgiServer {
  public:
    WsgiServer(pybind11::handle engine_settings, WsgiCallables callables, WsgiOptions options);
    ~WsgiServer();
    WsgiServer(const WsgiServer &) = delete;
    WsgiServer &operator=(const WsgiServer &) = delete;

    /// Opens the sockets, starts the reactors and the pump. Throws engine::StartupError.
    void start();
    /// A WSGI thread's body: runs requests as they come, GIL released while idle; returns after close().
    void serve_requests();
    /// Graceful: stop accepting; in-flight requests go on until done or the graceful timeout. Non-blocking.
    void stop();
    /// Blocks, GIL released, until every reactor has exited (every in-flight exchange ended).
    void wait();
    /// After wait(): stops the pump, wakes every WSGI thread (they return from serve_requests() once their
    /// request, if any, is over) and drops the requests that never started.
    void close();
    /// After the WSGI threads have returned: drops the app and every other Python reference.
    void drop_references();

    std::uint16_t bound_port() const noexcept { return engine_->bound_port(); }
    std::size_t in_flight() const noexcept { return in_flight_.load(); }
    /// The engine's per-reactor counters (see engine_stats in engine_lifecycle.hpp).
    pybind11::list stats() const;

    // --- for channels (any WSGI thread) ---
    void post(engine::ExchangeId id, engine::ResponsePart &&part);
    void resume_body(engine::ExchangeId id);
    void abort(engine::ExchangeId id);

  private:
    struct Pending {
        std::unique_ptr<engine::Request> request;
        std::shared_ptr<WsgiChannel> channel;
    };

    void pump();
    void route(std::vector<DispatchEvent> &events);
    void run_request(Pending &work);
    /// A WSGI thread, GIL held: each static answer's environ goes to callables_.static_observer.
    void report_static(std::vector<DispatchEvent> &answers);
    void forget(engine::ExchangeId id);
    /// Logs the pending Python error with its traceback, naming the request of `environ` (may be null).
    void log_current_error(const char *what, pybind11::handle environ) const;

    LiveCount live_;
    engine::ServerConfig config_;
    WsgiOptions options_;
    WsgiCallables callables_;
    pybind11::object root_path_str_;

    std::shared_ptr<DispatchQueue> queue_;
    /// The Python bytes lent to the engine; declared before it, so it outlives the engine's last release.
    std::shared_ptr<LentBytes> lent_bytes_;
    std::shared_ptr<BridgeHandler> handler_;
    std::unique_ptr<engine::Server> engine_;
    std::thread pump_thread_;
    std::atomic<bool> engine_running_{false};  ///< posts after the reactors exited are dropped, not queued
    std::atomic<bool> pump_stop_{false};
    /// Static answers waiting for a WSGI thread to report them (under mutex_): the pump never takes the GIL.
    std::vector<DispatchEvent> static_answers_;
    bool started_ = false;

    std::mutex mutex_;  ///< guards what follows; taken before any channel's own mutex, never after
    std::condition_variable work_ready_;
    std::deque<Pending> ready_;  ///< requests waiting for a WSGI thread
    std::unordered_map<engine::ExchangeId, std::shared_ptr<WsgiChannel>, ExchangeIdHash> channels_;
    bool closing_ = false;
    bool housekeeping_ = false;  ///< an idle thread should take the GIL to drop released response bytes
    std::atomic<std::size_t> in_flight_{0};
};

} // namespace bridge
