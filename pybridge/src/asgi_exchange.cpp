#include "asgi_exchange.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgi_response.hpp"
#include "asgi_server.hpp"
#include "error_responses.hpp"
#include "errors.hpp"
#include "log_note.hpp"
#include "names.hpp"
#include "pending_future.hpp"
#include "ready_awaitable.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

py::object steal_or_throw(PyObject *object) {
    if (object == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(object);
}

py::object ready(py::handle value) { return steal_or_throw(make_ready_awaitable(value.ptr())); }

/// A message's boolean `key` (absent: false). Throws if reading or testing it raised.
bool flag_of(PyObject *message, const char *key) {
    PyObject *value = PyDict_GetItemString(message, key);  // borrowed; a str key cannot raise on lookup
    if (value == nullptr) return false;
    const int set = PyObject_IsTrue(value);
    if (set < 0) throw py::error_already_set();
    return set == 1;
}

py::object disconnect_message() {
    const Names &n = names();
    return steal_or_throw(Py_BuildValue("{OO}", n.type, n.http_disconnect));
}

} // namespace

AsgiExchange::AsgiExchange(py::object owner, AsgiServer *server, engine::ExchangeId id,
                           std::shared_ptr<BodyGate> gate, bool expects_body)
    : live_(live_objects().exchanges), owner_(std::move(owner)), server_(server), id_(id), gate_(std::move(gate)),
      body_complete_(!expects_body) {}

AsgiExchange::~AsgiExchange() { clear(); }

// --- receive ---------------------------------------------------------------------------------------------

py::object AsgiExchange::receive() {
    if (disconnected_ || finished_ || response_ == Response::complete) return ready(disconnect_message());
    if (receive_future_ && !future_done(receive_future_)) {
        throw ProtocolError("receive() called while a previous receive() is still waiting");
    }
    drop_future(receive_future_);
    if (!final_request_delivered_ && (!body_chunks_.empty() || body_complete_)) return ready(request_message());
    // Either more body is on its way, or the whole body was delivered and what comes next is the disconnect.
    receive_future_ = new_future();
    return receive_future_;
}

py::object AsgiExchange::request_message() {
    const Names &n = names();
    std::size_t total = 0;
    for (const auto &chunk : body_chunks_) total += chunk.size();
    py::object body;
    if (body_chunks_.size() == 1) {
        body = steal_or_throw(PyBytes_FromStringAndSize(body_chunks_.front().data(), static_cast<Py_ssize_t>(total)));
    } else {
        body = steal_or_throw(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(total)));
        char *out = PyBytes_AS_STRING(body.ptr());
        for (const auto &chunk : body_chunks_) {
            std::copy(chunk.begin(), chunk.end(), out);
            out += chunk.size();
        }
    }
    body_chunks_.clear();
    const bool more = !body_complete_;
    if (!more) final_request_delivered_ = true;
    consume_body_credit(total);
    return steal_or_throw(Py_BuildValue("{OOOOOO}", n.type, n.http_request, n.body, body.ptr(), n.more_body,
                                        more ? Py_True : Py_False));
}

void AsgiExchange::consume_body_credit(std::size_t bytes) {
    if (!gate_ || bytes == 0) return;
    const auto amount = static_cast<std::int64_t>(bytes);
    const std::int64_t before = gate_->unconsumed.fetch_sub(amount, std::memory_order_acq_rel);
    if (before > body_high_water_bytes && before - amount <= body_high_water_bytes && !disconnected_) {
        server_->resume_body(id_);
    }
}

void AsgiExchange::release_body_gate() {
    if (!gate_) return;
    gate_->discard.store(true, std::memory_order_release);
    // A paused body must flow again so the engine can finish reading (and discarding) it.
    if (!disconnected_ && !body_complete_ && gate_->unconsumed.load() > body_high_water_bytes) {
        server_->resume_body(id_);
    }
    gate_.reset();
}

void AsgiExchange::on_body(std::string &&data, bool last) {
    if (finished_ || disconnected_ || response_ == Response::complete) return;  // nobody will read it
    if (!data.empty()) body_chunks_.push_back(std::move(data));
    if (last) body_complete_ = true;
    if (receive_future_ && !final_request_delivered_) {
        // A future the app cancelled (wait_for timeout) is just dropped: the bytes stay for the next receive().
        if (py::object future = take_waiting_future(receive_future_)) {
            py::object message = request_message();
            steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
        }
    }
}

void AsgiExchange::resolve_receive(py::handle message) {
    if (py::object future = take_waiting_future(receive_future_)) {
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
    }
}

// --- send ------------------------------------------------------------------------------------------------

py::object AsgiExchange::send(py::handle message) {
    const Names &n = names();
    if (!PyDict_Check(message.ptr())) {
        throw ProtocolError(std::string("send() expects a dict message, not ") + Py_TYPE(message.ptr())->tp_name);
    }
    PyObject *type = PyDict_GetItemWithError(message.ptr(), n.type);  // borrowed
    if (type == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        throw ProtocolError("send(): the message has no 'type'");
    }
    if (disconnected_) throw_client_disconnected();
    if (finished_) throw ProtocolError("send() called after the application returned");

    auto is = [type](PyObject *name) {
        return type == name || (PyUnicode_Check(type) && PyUnicode_Compare(type, name) == 0);
    };
    if (is(n.http_response_start)) {
        if (response_ != Response::awaiting_start) throw ProtocolError("http.response.start sent twice");
        held_head_ = response_head_from(message.ptr());
        trailers_announced_ = flag_of(message.ptr(), "trailers");
        response_ = Response::start_held;
        return py::reinterpret_borrow<py::object>(ready_none());
    }
    if (is(n.http_response_body)) {
        if (response_ == Response::awaiting_start) {
            throw ProtocolError("http.response.body sent before http.response.start");
        }
        if (response_ == Response::complete || response_ == Response::awaiting_trailers) {
            throw ProtocolError("http.response.body sent after the response was complete (more_body was False)");
        }
        engine::ResponsePart part;
        PyObject *body = PyDict_GetItemWithError(message.ptr(), n.body);
        if (body == nullptr && PyErr_Occurred()) throw py::error_already_set();
        std::size_t size = 0;
        if (body != nullptr) part.body = response_body_from(body, size);
        PyObject *more_body = PyDict_GetItemWithError(message.ptr(), n.more_body);
        if (more_body == nullptr && PyErr_Occurred()) throw py::error_already_set();
        int more = more_body == nullptr ? 0 : PyObject_IsTrue(more_body);
        if (more < 0) throw py::error_already_set();
        if (held_head_) {
            part.head = std::move(held_head_);
            held_head_.reset();
        }
        // With trailers announced, the last trailers message ends the response, not the last body.
        part.end = more == 0 && !trailers_announced_;
        const SendWindow::Decision window = send_window_.on_post(size, part.end);
        part.notify_sent = window.notify_sent;
        post(std::move(part));
        if (part.end) {
            response_completed();
            return py::reinterpret_borrow<py::object>(ready_none());
        }
        response_ = more ? Response::streaming : Response::awaiting_trailers;
        if (!window.must_wait) return py::reinterpret_borrow<py::object>(ready_none());
        drop_future(send_future_);
        send_future_ = new_future();
        return send_future_;
    }
    if (is(n.http_response_pathsend)) return send_path(message);
    if (is(n.http_response_trailers)) return send_trailers(message);
    py::str shown = py::repr(type);
    throw ProtocolError("send(): unexpected ASGI message type " + shown.cast<std::string>());
}

py::object AsgiExchange::send_path(py::handle message) {
    if (response_ != Response::start_held) {
        throw ProtocolError(response_ == Response::awaiting_start
                                ? "http.response.pathsend sent before http.response.start"
                                : "http.response.pathsend sent after the response body started");
    }
    PyObject *path = PyDict_GetItemWithError(message.ptr(), names().path);
    if (path == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        throw ProtocolError("http.response.pathsend: missing 'path'");
    }
    PyObject *encoded = nullptr;
    if (!PyUnicode_FSConverter(path, &encoded)) throw py::error_already_set();
    py::object encoded_path = py::reinterpret_steal<py::object>(encoded);
    const int fd = ::open(PyBytes_AS_STRING(encoded), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        throw py::error_already_set();
    }
    struct stat info {};
    if (::fstat(fd, &info) < 0 || !S_ISREG(info.st_mode)) {
        const int error = S_ISREG(info.st_mode) ? errno : EINVAL;
        ::close(fd);
        errno = error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        throw py::error_already_set();
    }
    engine::ResponsePart part;
    part.head = std::move(held_head_);
    held_head_.reset();
    part.head->content_length = static_cast<std::uint64_t>(info.st_size);
    part.body = engine::FileRegion{fd, 0, static_cast<std::uint64_t>(info.st_size)};  // the engine closes fd
    part.end = true;
    post(std::move(part));
    response_completed();
    return py::reinterpret_borrow<py::object>(ready_none());
}

py::object AsgiExchange::send_trailers(py::handle message) {
    if (!trailers_announced_) {
        throw ProtocolError(response_ == Response::awaiting_start
                                ? "http.response.trailers sent before http.response.start"
                                : "http.response.trailers sent, but http.response.start did not set 'trailers'");
    }
    if (response_ != Response::awaiting_trailers) {
        throw ProtocolError(response_ == Response::complete
                                ? "http.response.trailers sent after the last one (more_trailers was False)"
                                : "http.response.trailers sent before the body was complete (more_body was True)");
    }
    // Validated as response headers are: a token name, a value without CR/LF/NUL. The engine drops the fields
    // no trailer may be (Content-Length among them) and those that have no trailer section (HTTP/1.1 bodies
    // with a Content-Length, HTTP/1.0).
    PyObject *headers = PyDict_GetItemWithError(message.ptr(), names().headers);
    if (headers == nullptr && PyErr_Occurred()) throw py::error_already_set();
    engine::ResponseHead fields;
    add_response_headers(fields, headers, "http.response.trailers");
    trailer_lines_ += fields.header_lines;
    if (flag_of(message.ptr(), "more_trailers")) return py::reinterpret_borrow<py::object>(ready_none());
    engine::ResponsePart part;
    part.trailer_lines = std::move(trailer_lines_);
    part.end = true;
    post(std::move(part));
    response_completed();
    return py::reinterpret_borrow<py::object>(ready_none());
}

void AsgiExchange::post(engine::ResponsePart &&part) { server_->post(id_, std::move(part)); }

void AsgiExchange::response_completed() {
    response_ = Response::complete;
    release_body_gate();
    body_chunks_.clear();
    // ASGI: receive() called after the response is sent reports http.disconnect. One already waiting is not
    // woken here: Django's listen_for_disconnect() would then raise RequestAborted into a task its handler
    // keeps, and that exception's traceback makes a cycle through the handler's frame, so every request's
    // response (4 MB in the seed's case) waited for the cyclic collector (issue 14). Left waiting, the
    // listener is cancelled by the framework once its response task ends (Django, Quart, Starlette); one the
    // app never cancels is woken when the app returns, or when the connection takes its next request.
    if (receive_future_ && !future_done(receive_future_)) server_->note_lingering_receive(id_);
}

void AsgiExchange::end_lingering_receive() {
    if (receive_future_) resolve_receive(disconnect_message());
}

void AsgiExchange::on_sent() {
    if (!send_window_.on_sent()) return;
    if (py::object future = take_waiting_future(send_future_)) {
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, Py_None));
    }
}

void AsgiExchange::on_abort() {
    if (disconnected_) return;
    disconnected_ = true;
    release_body_gate();
    body_chunks_.clear();
    if (receive_future_) resolve_receive(disconnect_message());
    if (py::object future = take_waiting_future(send_future_)) {
        py::object error = steal_or_throw(new_client_disconnected());
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_exception, error.ptr()));
    }
}

// --- the end of the app ----------------------------------------------------------------------------------

void AsgiExchange::answer_unfinished_response() {
    if (disconnected_) return;
    switch (response_) {
    case Response::awaiting_start:
    case Response::start_held:
        // Nothing is on the wire yet, so a 500 is still a truthful answer.
        post(internal_error_response());
        response_ = Response::complete;
        break;
    case Response::streaming:
    case Response::awaiting_trailers:
        // Part of the response went out: cut the connection rather than fake a success.
        server_->abort(id_);
        break;
    case Response::complete: break;
    }
}

py::object AsgiExchange::app_returned() {
    if (finished_) return py::none();
    py::object message = py::none();
    if (!disconnected_) {
        if (response_ == Response::awaiting_start || response_ == Response::start_held) {
            message = log_note(LogLevel::error,
                               "ASGI application returned without sending a complete response (answered 500)");
        } else if (response_ == Response::streaming) {
            message = log_note(LogLevel::error,
                               "ASGI application returned without completing the response (connection closed)");
        } else if (response_ == Response::awaiting_trailers) {
            message = log_note(LogLevel::error,
                               "ASGI application returned without sending the trailers it announced (connection "
                               "closed)");
        }
    }
    answer_unfinished_response();
    finish();
    return message;
}

bool AsgiExchange::app_failed(py::handle error) {
    if (finished_) return false;
    const bool cancelled = PyErr_GivenExceptionMatches(error.ptr(), PyExc_BaseException) &&
                           !PyErr_GivenExceptionMatches(error.ptr(), PyExc_Exception);
    const bool after_disconnect =
        disconnected_ && PyErr_GivenExceptionMatches(error.ptr(), client_disconnected_error());
    answer_unfinished_response();
    finish();
    return !cancelled && !after_disconnect;
}

void AsgiExchange::set_task(py::object task) {
    if (!finished_) task_ = std::move(task);
}

void AsgiExchange::finish() {
    if (finished_) return;
    finished_ = true;
    release_body_gate();
    body_chunks_.clear();
    // A receive() still waiting (say, a disconnect listener the app left behind) learns the exchange is over.
    if (receive_future_) resolve_receive(disconnect_message());
    if (py::object future = take_waiting_future(send_future_)) {
        steal_or_throw(PyObject_CallMethodNoArgs(future.ptr(), names().cancel));
    }
    task_ = py::object();
    py::object owner = std::move(owner_);  // keeps the server alive until it has forgotten this exchange
    if (server_ != nullptr) server_->exchange_finished(id_);
    server_ = nullptr;
}

// --- futures and GC --------------------------------------------------------------------------------------

py::object AsgiExchange::new_future() { return hold_future(server_->create_future()); }

int AsgiExchange::traverse(visitproc visit, void *arg) const {
    Py_VISIT(owner_.ptr());
    Py_VISIT(receive_future_.ptr());
    Py_VISIT(send_future_.ptr());
    Py_VISIT(task_.ptr());
    return 0;
}

void AsgiExchange::clear() {
    // The collector breaks a cycle through us (or the object dies): keep the counters honest on the way out.
    drop_future(receive_future_);
    drop_future(send_future_);
    task_ = py::object();
    if (!finished_) {
        finished_ = true;
        release_body_gate();
    }
    owner_ = py::object();
    server_ = nullptr;
}

} // namespace bridge
