#include "loop_driver.hpp"

#include "py_objects.hpp"

namespace py = pybind11;

namespace bridge {

void LoopDriver::start(py::handle loop, py::object run) {
    loop_ = py::reinterpret_borrow<py::object>(loop);
    run_ = std::move(run);
    call_soon_ = loop_.attr("call_soon");
    call_later_ = loop_.attr("call_later");
    {
        // Opening sockets and rings needs no Python; a failure leaves the driver inactive (close() has nothing to do).
        py::gil_scoped_release unlocked;
        engine_.start_inline([this] { on_posted(); });
    }
    active_ = true;
    poll_fd_ = engine_.poll_fd();
    loop_.attr("add_reader")(poll_fd_, run_);
    watching_ = true;
    finished_ = loop_.attr("create_future")();
    // Accepts armed by the start are submitted by the first run, not by the first connection.
    schedule_soon();
}

bool LoopDriver::run_engine() {
    // The network path never waits on the GIL: parsing, framing and the ring (or epoll) calls run without it.
    // The engine calls nothing in Python meanwhile (the bridge handler only queues events).
    queue_.set_engine_running(true);
    bool running = false;
    {
        py::gil_scoped_release unlocked;
        running = engine_.run_ready();
    }
    queue_.set_engine_running(false);
    return running;
}

void LoopDriver::after_run(bool running) {
    in_run_ = false;
    if (!active_) return;
    if (!running) {
        if (watching_) {
            watching_ = false;
            loop_.attr("remove_reader")(poll_fd_);
        }
        if (timer_) {
            timer_.attr("cancel")();
            timer_ = py::object();
        }
        if (finished_ && !finished_.attr("done")().cast<bool>()) finished_.attr("set_result")(py::none());
        return;
    }
    if (engine_.wants_run() || queue_.has_events()) {
        schedule_soon();
        return;
    }
    const std::int64_t now = now_ms();
    if (timer_ && timer_due_ms_ <= now) timer_ = py::object();  // fired (this run may be it) or about to
    // With a run booked, the engine answers only for an earlier deadline: a keep-alive re-armed by every request
    // costs no Python call and no scan of the timer wheel.
    const int tick_ms = engine_.tick_ms(static_cast<bool>(timer_));
    if (tick_ms < 0) return;
    if (tick_ms == 0) {
        schedule_soon();
        return;
    }
    if (timer_) timer_.attr("cancel")();
    timer_ = steal_or_throw(PyObject_CallFunction(call_later_.ptr(), "dO", tick_ms / 1000.0, run_.ptr()));
    timer_due_ms_ = now + tick_ms;
}

void LoopDriver::on_posted() {
    if (in_run_ || soon_scheduled_ || !active_) return;
    // Posts come from the loop thread, with the GIL (an app's send) or without it (a stop from a method that
    // released it).
    py::gil_scoped_acquire locked;
    schedule_soon();
}

void LoopDriver::schedule_soon() {
    if (soon_scheduled_ || !active_) return;
    soon_scheduled_ = true;
    PyObject *handle = PyObject_CallOneArg(call_soon_.ptr(), run_.ptr());
    if (!handle) {
        soon_scheduled_ = false;
        throw py::error_already_set();
    }
    Py_DECREF(handle);
}

void LoopDriver::close() {
    if (!active_) {
        clear();
        return;
    }
    active_ = false;
    if (watching_) {
        watching_ = false;
        if (!loop_.attr("is_closed")().cast<bool>()) loop_.attr("remove_reader")(poll_fd_);
    }
    if (timer_) timer_.attr("cancel")();
    clear();
}

int LoopDriver::traverse(visitproc visit, void *arg) const {
    Py_VISIT(loop_.ptr());
    Py_VISIT(run_.ptr());
    Py_VISIT(call_soon_.ptr());
    Py_VISIT(call_later_.ptr());
    Py_VISIT(finished_.ptr());
    Py_VISIT(timer_.ptr());
    return 0;
}

void LoopDriver::clear() {
    active_ = false;
    loop_ = py::object();
    run_ = py::object();
    call_soon_ = py::object();
    call_later_ = py::object();
    finished_ = py::object();
    timer_ = py::object();
}

} // namespace bridge
