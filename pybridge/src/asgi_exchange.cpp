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
#include "py_objects.hpp"
#include "ready_awaitable.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

py::object ready(py::handle value) { return steal_or_throw(make_ready_awaitable(value.ptr())); }

/// A message's boolean `key` (absent: false). Throws if reading or testing it raised.
bool flag_of(PyObject *message, const char *key) {
    PyObject *value = PyDict_GetItemString(message, key);  // borrowed; a str key cannot raise on lookup
    if (value == nullptr) return false;
    const int set = PyObject_IsTrue(value);
    if (set < 0) throw py::error_already_set();
    return set == 1;
}

} // namespace

AsgiExchange::AsgiExchange(py::object owner, AsgiServer *server, engine::ExchangeId id,
                           std::shared_ptr<BodyGate> gate, bool expects_body)
    : AsgiSession(session_kind, live_objects().exchanges, std::move(owner), server, id, std::move(gate)) {
    input_ended_ = !expects_body;
}

py::object AsgiExchange::disconnect_message() const {
    const Names &n = names();
    return steal_or_throw(Py_BuildValue("{OO}", n.type, n.http_disconnect));
}

// --- receive ---------------------------------------------------------------------------------------------

py::object AsgiExchange::receive() {
    if (disconnected_ || finished_ || response_ == Response::complete) return ready(disconnect_message());
    refuse_concurrent_receive();
    if (!final_request_delivered_ && (!body_chunks_.empty() || input_ended_)) return ready(request_message());
    // Either more body is on its way, or the whole body was delivered and what comes next is the disconnect.
    return wait_in_receive();
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
    const bool more = !input_ended_;
    if (!more) final_request_delivered_ = true;
    consume_credit(static_cast<std::int64_t>(total));
    return steal_or_throw(Py_BuildValue("{OOOOOO}", n.type, n.http_request, n.body, body.ptr(), n.more_body,
                                        more ? Py_True : Py_False));
}

void AsgiExchange::on_body(std::string &&data, bool last) {
    if (finished_ || disconnected_ || response_ == Response::complete) return;  // nobody will read it
    if (!data.empty()) body_chunks_.push_back(std::move(data));
    if (last) input_ended_ = true;
    if (receive_future_ && !final_request_delivered_) {
        // A future the app cancelled (wait_for timeout) is just dropped: the bytes stay for the next receive().
        if (py::object future = take_waiting_future(receive_future_)) {
            py::object message = request_message();
            steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
        }
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
    if (is(n.http_response_body)) return send_body(message);
    if (is(n.http_response_pathsend)) return send_path(message);
    if (is(n.http_response_trailers)) return send_trailers(message);
    py::str shown = py::repr(type);
    throw ProtocolError("send(): unexpected ASGI message type " + shown.cast<std::string>());
}

py::object AsgiExchange::send_body(py::handle message) {
    const Names &n = names();
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
    if (body != nullptr) part.body = response_body_from(body, size, server_->lent_bytes());
    PyObject *more_body = PyDict_GetItemWithError(message.ptr(), n.more_body);
    if (more_body == nullptr && PyErr_Occurred()) throw py::error_already_set();
    int more = more_body == nullptr ? 0 : PyObject_IsTrue(more_body);
    if (more < 0) throw py::error_already_set();
    if (held_head_) {
        part.head = std::move(held_head_);
        held_head_.reset();
    }
    // With trailers announced, the last trailers message ends the response, not the last body.
    const bool ends = more == 0 && !trailers_announced_;
    part.end = ends;
    const SendWindow::Decision window = send_window_.on_post(size, part.end);
    part.notify_sent = window.notify_sent;
    post(std::move(part));
    if (ends) {
        response_completed();
        return py::reinterpret_borrow<py::object>(ready_none());
    }
    response_ = more ? Response::streaming : Response::awaiting_trailers;
    if (!window.must_wait) return py::reinterpret_borrow<py::object>(ready_none());
    forget_senders();  // one waiting send() at a time: an earlier one is not resolved
    return wait_in_send();
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
    release_gate();
    body_chunks_.clear();
    // ASGI: receive() called after the response is sent reports http.disconnect. One already waiting is not
    // woken here: Django's listen_for_disconnect() would then raise RequestAborted into a task its handler
    // keeps, and that exception's traceback makes a cycle through the handler's frame, so every request's
    // response (4 MB in the seed's case) waited for the cyclic collector (issue 14). Left waiting, the
    // listener is cancelled by the framework once its response task ends (Django, Quart, Starlette); one the
    // app never cancels is woken when the app returns, or when the connection takes its next request.
    if (receive_waiting()) server_->note_lingering_receive(id_);
}

void AsgiExchange::end_lingering_receive() { wake_receiver(); }

void AsgiExchange::on_sent() {
    if (send_window_.on_sent()) resume_senders();
}

void AsgiExchange::on_abort() {
    if (disconnected_) return;
    disconnected_ = true;
    release_gate();
    body_chunks_.clear();
    wake_waiters_after_disconnect();
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

py::object AsgiExchange::answer_return() {
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
    return message;
}

} // namespace bridge
