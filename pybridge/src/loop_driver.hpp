#pragma once
// Single-threaded mode (--runtime-mode st): the worker's one reactor runs on the asyncio loop's own thread. The
// loop watches the reactor's poll fd (the io_uring fd, or the epoll fd) with add_reader; each run handles what is
// ready with the GIL released, then the server drains the events into Python in the same callback, with no
// cross-thread hand-off. After a run the driver schedules the next one: call_soon when work is left (posts from
// tasks, completions a run left), call_later at the timer wheel's next deadline, nothing otherwise.

#include <Python.h>

#include <chrono>
#include <cstdint>

#include <pybind11/pybind11.h>

#include "dispatch_queue.hpp"
#include "engine/server.hpp"

namespace bridge {

class LoopDriver {
  public:
    LoopDriver(engine::Server &engine, DispatchQueue &queue) : engine_(engine), queue_(queue) {}
    LoopDriver(const LoopDriver &) = delete;
    LoopDriver &operator=(const LoopDriver &) = delete;

    /// Starts the engine inline on this (the loop's) thread and watches its poll fd; `run` is the callable of
    /// every scheduled run (the server's run_ready). Throws engine::StartupError.
    void start(pybind11::handle loop, pybind11::object run);
    /// Inside a run: the engine's part, without the GIL. False once the engine has stopped and drained.
    bool run_engine();
    /// A run begins (posts until after_run need no wake of their own).
    void begin_run() noexcept {
        in_run_ = true;
        soon_scheduled_ = false;  // this may be that run; a later need books another
    }
    /// A run ends: schedules the next one, or resolves finished() and stops watching once the engine is done.
    void after_run(bool running);
    /// The future `await`ed for the end of a graceful stop (None before start).
    pybind11::object finished() const { return finished_ ? finished_ : pybind11::none(); }
    /// The engine's wake: a post gave the reactor work outside a run.
    void on_posted();
    /// Stops watching and scheduling; drops the loop's callbacks. Idempotent.
    void close();

    int traverse(visitproc visit, void *arg) const;
    void clear();

  private:
    void schedule_soon();
    static std::int64_t now_ms() noexcept {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    engine::Server &engine_;
    DispatchQueue &queue_;
    pybind11::object loop_;
    pybind11::object run_;
    pybind11::object call_soon_;
    pybind11::object call_later_;
    pybind11::object finished_;
    pybind11::object timer_;  ///< the pending call_later handle, or null
    std::int64_t timer_due_ms_ = 0;
    int poll_fd_ = -1;
    bool watching_ = false;
    bool in_run_ = false;
    bool soon_scheduled_ = false;
    bool active_ = false;  ///< started and not closed: wakes may schedule
};

} // namespace bridge
