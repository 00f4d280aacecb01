#include "asgi_session.hpp"

#include <utility>

#include "asgi_server.hpp"
#include "errors.hpp"
#include "names.hpp"
#include "py_objects.hpp"

namespace py = pybind11;

namespace bridge {

// --- SendWaiters -----------------------------------------------------------------------------------------

py::object SendWaiters::add(py::object future) {
    if (!first_) {
        first_ = std::move(future);
        return first_;
    }
    more_.push_back(std::move(future));
    return more_.back();
}

void SendWaiters::drop() {
    drop_future(first_);
    for (py::object &slot : more_) drop_future(slot);
    more_.clear();
}

int SendWaiters::traverse(visitproc visit, void *arg) const {
    Py_VISIT(first_.ptr());
    for (const py::object &future : more_) Py_VISIT(future.ptr());
    return 0;
}

// --- AsgiSession -----------------------------------------------------------------------------------------

AsgiSession::AsgiSession(Kind kind, std::atomic<std::int64_t> &live_counter, py::object owner, AsgiServer *server,
                         engine::ExchangeId id, std::shared_ptr<BodyGate> gate)
    : server_(server), id_(id), live_(live_counter), kind_(kind), owner_(std::move(owner)), gate_(std::move(gate)) {}

AsgiSession::~AsgiSession() { clear(); }

py::object AsgiSession::app_returned() {
    if (finished_) return py::none();
    py::object note = answer_return();
    finish();
    return note;
}

bool AsgiSession::app_failed(py::handle error) {
    if (finished_) return false;
    const bool cancelled = PyErr_GivenExceptionMatches(error.ptr(), PyExc_BaseException) &&
                           !PyErr_GivenExceptionMatches(error.ptr(), PyExc_Exception);
    const bool after_disconnect =
        disconnected_ && PyErr_GivenExceptionMatches(error.ptr(), client_disconnected_error());
    answer_failure();
    finish();
    return !cancelled && !after_disconnect;
}

void AsgiSession::set_task(py::object task) {
    if (!finished_) task_ = std::move(task);
}

void AsgiSession::finish() {
    if (finished_) return;
    finished_ = true;
    release_gate();
    drop_input();
    // A receive() still waiting (say, a disconnect listener the app left behind) learns the session is over.
    wake_receiver();
    send_waiters_.resolve_each(
        [](py::object &future) { steal_or_throw(PyObject_CallMethodNoArgs(future.ptr(), names().cancel)); });
    task_ = py::object();
    py::object owner = std::move(owner_);  // keeps the server alive until it has forgotten this session
    AsgiServer *const server = std::exchange(server_, nullptr);
    const engine::ExchangeId id = id_;
    // Last: the server's table may hold the only reference to this session's Python object (a request whose
    // client left before its app started), so forgetting it can delete `this`. Nothing after it touches a member.
    if (server != nullptr) server->exchange_finished(id);
}

int AsgiSession::traverse(visitproc visit, void *arg) const {
    Py_VISIT(owner_.ptr());
    Py_VISIT(receive_future_.ptr());
    if (int visited = send_waiters_.traverse(visit, arg)) return visited;
    Py_VISIT(task_.ptr());
    return 0;
}

void AsgiSession::clear() {
    // The collector breaks a cycle through us (or the object dies): keep the counters honest on the way out.
    drop_future(receive_future_);
    send_waiters_.drop();
    task_ = py::object();
    if (!finished_) {
        finished_ = true;
        release_gate();
    }
    owner_ = py::object();
    server_ = nullptr;
}

// --- receive and send ------------------------------------------------------------------------------------

py::object AsgiSession::new_future() { return hold_future(server_->create_future()); }

void AsgiSession::refuse_concurrent_receive() {
    if (receive_waiting()) throw ProtocolError("receive() called while a previous receive() is still waiting");
    drop_future(receive_future_);
}

py::object AsgiSession::wait_in_receive() {
    receive_future_ = new_future();
    return receive_future_;
}

bool AsgiSession::receive_waiting() const { return receive_future_ && !future_done(receive_future_); }

void AsgiSession::resolve_receive(py::handle message) {
    if (py::object future = take_waiting_future(receive_future_)) {
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
    }
}

void AsgiSession::wake_receiver() {
    if (py::object future = take_waiting_future(receive_future_)) {
        py::object message = disconnect_message();
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
    }
}

void AsgiSession::resume_senders() {
    send_waiters_.resolve_each([](py::object &future) {
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, Py_None));
    });
}

void AsgiSession::wake_waiters_after_disconnect() {
    wake_receiver();
    send_waiters_.resolve_each([](py::object &future) {
        py::object error = steal_or_throw(new_client_disconnected());
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_exception, error.ptr()));
    });
}

// --- the input gate --------------------------------------------------------------------------------------

void AsgiSession::consume_credit(std::int64_t amount) {
    if (!gate_ || amount == 0) return;
    const std::int64_t before = gate_->unconsumed.fetch_sub(amount, std::memory_order_acq_rel);
    // Only the downward crossing resumes: the reactor paused on the upward one (see BodyGate).
    if (before > body_high_water_bytes && before - amount <= body_high_water_bytes && !disconnected_) {
        resume_reading();
    }
}

void AsgiSession::discard_input() noexcept {
    if (gate_) gate_->discard.store(true, std::memory_order_release);
}

void AsgiSession::release_gate() {
    if (!gate_) return;
    gate_->discard.store(true, std::memory_order_release);
    if (!disconnected_ && !input_ended_ && gate_->unconsumed.load() > body_high_water_bytes) resume_reading();
    gate_.reset();
}

void AsgiSession::resume_reading() {
    if (kind_ == Kind::http) {
        server_->resume_body(id_);
    } else {
        server_->resume_websocket(id_);
    }
}

} // namespace bridge
