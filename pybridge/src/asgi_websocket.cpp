#include "asgi_websocket.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "asgi_response.hpp"
#include "asgi_server.hpp"
#include "engine/ascii.hpp"
#include "error_responses.hpp"
#include "errors.hpp"
#include "log_note.hpp"
#include "names.hpp"
#include "pending_future.hpp"
#include "py_objects.hpp"
#include "ready_awaitable.hpp"
#include "websocket_flow.hpp"
#include "websocket_names.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// Once a waiting send() was made to wait, it resumes when posted-but-unsent bytes fall to this: enough still
/// queued to keep the socket busy while the app produces more.
constexpr std::uint64_t send_low_water_bytes = body_high_water_bytes / 4;

/// A close frame's payload is at most 125 bytes, two of them the code.
constexpr std::size_t max_close_reason_bytes = 123;

py::object ready(py::handle value) { return steal_or_throw(make_ready_awaitable(value.ptr())); }

py::object ready_nothing() { return py::reinterpret_borrow<py::object>(ready_none()); }

/// message[key], borrowed; nullptr when absent or None.
PyObject *optional_item(py::handle message, PyObject *key) {
    PyObject *value = PyDict_GetItemWithError(message.ptr(), key);
    if (value == nullptr && PyErr_Occurred()) throw py::error_already_set();
    return value == Py_None ? nullptr : value;
}

std::string_view utf8_of(PyObject *text) {
    Py_ssize_t size = 0;
    const char *data = PyUnicode_AsUTF8AndSize(text, &size);  // cached in the str: alive as long as it is
    if (data == nullptr) throw py::error_already_set();
    return {data, static_cast<std::size_t>(size)};
}

/// RFC 6455 7.4: the codes an endpoint may send (1005, 1006 and 1015 only ever describe a close).
bool sendable_close_code(long code) noexcept {
    if (code >= 3000 && code <= 4999) return true;
    return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

/// Cuts UTF-8 text to at most `limit` bytes without splitting a character.
std::string_view cut_utf8(std::string_view text, std::size_t limit) noexcept {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

/// Takes Sec-WebSocket-Protocol lines out of validated header lines (the engine writes that header from the
/// chosen subprotocol); returns the value of the last one, or empty.
std::string take_subprotocol_header(std::string &lines) {
    constexpr std::string_view prefix = "sec-websocket-protocol: ";
    std::string value;
    std::string kept;
    std::size_t start = 0;
    while (start < lines.size()) {
        const std::size_t end = lines.find("\r\n", start) + 2;
        const std::string_view line(lines.data() + start, end - start);
        if (engine::starts_with_ignoring_ascii_case(line, prefix)) {
            value.assign(line.substr(prefix.size(), line.size() - prefix.size() - 2));
        } else {
            kept.append(line);
        }
        start = end;
    }
    lines.swap(kept);
    return value;
}

engine::ResponsePart forbidden_response() {
    engine::ResponsePart part =
        engine::make_response(403, "content-type: text/plain; charset=utf-8\r\n", "Forbidden");
    part.head->close = true;
    return part;
}

} // namespace

AsgiWebSocket::AsgiWebSocket(py::object owner, AsgiServer *server, engine::ExchangeId id,
                             std::shared_ptr<BodyGate> gate, std::vector<std::string> offered_subprotocols)
    : AsgiSession(session_kind, live_objects().websockets, std::move(owner), server, id, std::move(gate)),
      offered_subprotocols_(std::move(offered_subprotocols)) {}

// --- receive ---------------------------------------------------------------------------------------------

py::object AsgiWebSocket::receive() {
    const WebSocketNames &w = websocket_names();
    if (!connect_delivered_) {
        connect_delivered_ = true;
        return ready(steal_or_throw(Py_BuildValue("{OO}", names().type, w.connect)));
    }
    refuse_concurrent_receive();
    if (!messages_.empty()) return ready(take_message());
    if (held_disconnect_) end_held_disconnect();  // the app has answered every message before the violation
    if (disconnected_ || finished_ || state_ == State::denied) return ready(disconnect_message());
    return wait_in_receive();
}

py::object AsgiWebSocket::take_message() {
    const WebSocketNames &w = websocket_names();
    Message message = std::move(messages_.front());
    messages_.pop_front();
    const std::string &payload = message.payload;
    const auto size = static_cast<Py_ssize_t>(payload.size());
    // Text arrives validated as UTF-8 by the engine.
    py::object value = steal_or_throw(message.text ? PyUnicode_DecodeUTF8(payload.data(), size, "strict")
                                                   : PyBytes_FromStringAndSize(payload.data(), size));
    consume_credit(ws_message_weight(payload.size()));
    return steal_or_throw(
        Py_BuildValue("{OOOO}", names().type, w.receive, message.text ? w.text : w.bytes, value.ptr()));
}

py::object AsgiWebSocket::disconnect_message() const {
    const WebSocketNames &w = websocket_names();
    // The engine checks a peer's reason is UTF-8; "replace" only guards against a bug turning into an error here.
    py::object reason = steal_or_throw(
        PyUnicode_DecodeUTF8(close_reason_.data(), static_cast<Py_ssize_t>(close_reason_.size()), "replace"));
    return steal_or_throw(Py_BuildValue("{OOOHOO}", names().type, w.disconnect, w.code,
                                        static_cast<unsigned short>(close_code_), w.reason, reason.ptr()));
}

// --- send ------------------------------------------------------------------------------------------------

py::object AsgiWebSocket::send(py::handle message) {
    const WebSocketNames &w = websocket_names();
    if (!PyDict_Check(message.ptr())) {
        throw ProtocolError(std::string("send() expects a dict message, not ") + Py_TYPE(message.ptr())->tp_name);
    }
    PyObject *type = PyDict_GetItemWithError(message.ptr(), names().type);  // borrowed
    if (type == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        throw ProtocolError("send(): the message has no 'type'");
    }
    if (finished_) throw ProtocolError("send() called after the application returned");
    auto is = [type](PyObject *name) {
        return type == name || (PyUnicode_Check(type) && PyUnicode_Compare(type, name) == 0);
    };
    if (is(w.send)) return send_message(message);
    if (is(w.accept)) return accept(message);
    if (is(w.close)) return close(message);
    if (is(w.response_start)) return send_denial(message, true);
    if (is(w.response_body)) return send_denial(message, false);
    py::str shown = py::repr(type);
    throw ProtocolError("send(): unexpected ASGI message type " + shown.cast<std::string>() + " on a WebSocket");
}

py::object AsgiWebSocket::accept(py::handle message) {
    const WebSocketNames &w = websocket_names();
    if (state_ != State::handshake) throw ProtocolError("websocket.accept sent after the handshake was answered");
    if (disconnected_) throw_client_disconnected();
    engine::ResponseHead head;
    add_response_headers(head, optional_item(message, names().headers), "websocket.accept");
    std::string subprotocol = take_subprotocol_header(head.header_lines);  // the spec's key wins over a header
    if (PyObject *chosen = optional_item(message, w.subprotocol)) {
        if (!PyUnicode_Check(chosen)) {
            throw ProtocolError(std::string("websocket.accept: 'subprotocol' must be a str, not ") +
                                Py_TYPE(chosen)->tp_name);
        }
        subprotocol = std::string(utf8_of(chosen));
    }
    if (!subprotocol.empty() &&
        std::find(offered_subprotocols_.begin(), offered_subprotocols_.end(), subprotocol) ==
            offered_subprotocols_.end()) {
        throw ProtocolError("websocket.accept: subprotocol '" + subprotocol +
                            "' is not one the client offered (scope['subprotocols'])");
    }
    server_->accept_websocket(id_, engine::WebSocketAccept{std::move(subprotocol), std::move(head.header_lines)});
    state_ = State::open;
    return ready_nothing();
}

py::object AsgiWebSocket::send_message(py::handle message) {
    const WebSocketNames &w = websocket_names();
    switch (state_) {
    case State::handshake: throw ProtocolError("websocket.send before websocket.accept");
    case State::open: break;
    case State::app_closed:
        if (disconnected_) throw_client_disconnected();
        throw ProtocolError("websocket.send after websocket.close");
    default: throw ProtocolError("websocket.send on a WebSocket whose handshake was denied");
    }
    if (disconnected_) throw_client_disconnected();
    PyObject *bytes = optional_item(message, w.bytes);
    PyObject *text = optional_item(message, w.text);
    if ((bytes == nullptr) == (text == nullptr)) {
        throw ProtocolError("websocket.send: exactly one of 'bytes' and 'text' must be given (and not None)");
    }
    std::size_t size = 0;
    if (bytes != nullptr) {
        if (PyUnicode_Check(bytes) || !PyObject_CheckBuffer(bytes)) {
            throw ProtocolError(std::string("websocket.send: 'bytes' must be bytes, not ") +
                                Py_TYPE(bytes)->tp_name);
        }
        engine::Body payload = response_body_from(bytes, size, server_->lent_bytes());  // lent, not copied, when large and immutable
        return post_frame(engine::WebSocketOutbound::Kind::binary, std::move(payload), size);
    }
    if (!PyUnicode_Check(text)) {
        throw ProtocolError(std::string("websocket.send: 'text' must be a str, not ") + Py_TYPE(text)->tp_name);
    }
    const std::string_view utf8 = utf8_of(text);
    size = utf8.size();
    engine::Body payload;
    if (size >= lend_threshold_bytes) {
        payload = server_->lent_bytes().lend_memory_of(text, utf8.data(), size);  // the str keeps its UTF-8 for as long as it lives
    } else {
        payload = std::string(utf8);
    }
    return post_frame(engine::WebSocketOutbound::Kind::text, std::move(payload), size);
}

py::object AsgiWebSocket::close(py::handle message) {
    const WebSocketNames &w = websocket_names();
    long code = 1000;
    if (PyObject *given = optional_item(message, w.code)) {
        if (!PyLong_Check(given) || PyBool_Check(given)) {
            throw ProtocolError(std::string("websocket.close: 'code' must be an int, not ") +
                                Py_TYPE(given)->tp_name);
        }
        code = PyLong_AsLong(given);
        if (code == -1 && PyErr_Occurred()) PyErr_Clear();
        if (!sendable_close_code(code)) {
            throw ProtocolError("websocket.close: " + std::to_string(code) +
                                " is not a close code an endpoint may send (1000-1003, 1007-1014, 3000-4999)");
        }
    }
    std::string_view reason;
    if (PyObject *given = optional_item(message, w.reason)) {
        if (!PyUnicode_Check(given)) {
            throw ProtocolError(std::string("websocket.close: 'reason' must be a str, not ") +
                                Py_TYPE(given)->tp_name);
        }
        reason = cut_utf8(utf8_of(given), max_close_reason_bytes);
    }
    switch (state_) {
    case State::handshake:
        // ASGI: a close before the accept refuses the handshake with 403.
        state_ = State::denied;
        if (!disconnected_) {
            post_response(forbidden_response());
            closed_before_accept_ = true;
        }
        wake_receiver();
        return ready_nothing();
    case State::open:
        state_ = State::app_closed;
        // Closing a session the client already left is no error: the app is tidying up.
        if (disconnected_) return ready_nothing();
        return post_frame(engine::WebSocketOutbound::Kind::close, std::string(reason), 0,
                          static_cast<std::uint16_t>(code));
    case State::app_closed: throw ProtocolError("websocket.close sent twice");
    default: throw ProtocolError("websocket.close after a denial response");
    }
}

py::object AsgiWebSocket::send_denial(py::handle message, bool start) {
    const Names &n = names();
    if (start) {
        if (state_ != State::handshake) {
            throw ProtocolError("websocket.http.response.start sent after the handshake was answered");
        }
        if (disconnected_) throw_client_disconnected();
        held_head_ = response_head_from(message.ptr(), "websocket.http.response.start");
        held_head_->close = true;  // the connection was for the WebSocket: it ends with the denial
        state_ = State::denial_started;
        return ready_nothing();
    }
    if (state_ != State::denial_started && state_ != State::denial_body) {
        throw ProtocolError(state_ == State::denied
                                ? "websocket.http.response.body sent after the denial response was complete"
                                : "websocket.http.response.body sent before websocket.http.response.start");
    }
    if (disconnected_) throw_client_disconnected();
    engine::ResponsePart part;
    std::size_t size = 0;
    if (PyObject *body = optional_item(message, n.body)) part.body = response_body_from(body, size, server_->lent_bytes());
    PyObject *more_body = optional_item(message, n.more_body);
    const int more = more_body == nullptr ? 0 : PyObject_IsTrue(more_body);
    if (more < 0) throw py::error_already_set();
    if (held_head_) {
        part.head = std::move(held_head_);
        held_head_.reset();
    }
    part.end = more == 0;
    post_response(std::move(part));
    if (more) {
        state_ = State::denial_body;
    } else {
        state_ = State::denied;
        wake_receiver();
    }
    return ready_nothing();
}

py::object AsgiWebSocket::post_frame(engine::WebSocketOutbound::Kind kind, engine::Body &&payload, std::size_t size,
                                     std::uint16_t close_code) {
    engine::WebSocketOutbound outbound;
    outbound.kind = kind;
    outbound.payload = std::move(payload);
    outbound.close_code = close_code;
    posted_bytes_ += size;
    const bool must_wait = posted_bytes_ - sent_bytes_ > body_high_water_bytes;
    if (must_wait) {
        // Every frame posted above the mark reports back, so a waiting send() always has a notice to come.
        outbound.notify_sent = true;
        notify_marks_.push_back(posted_bytes_);
    }
    server_->post_websocket(id_, std::move(outbound));
    if (!must_wait) return ready_nothing();
    // One future per waiting send(): a shared one would be cancelled for all when one waiter's task is.
    return wait_in_send();
}

void AsgiWebSocket::post_response(engine::ResponsePart &&part) { server_->post(id_, std::move(part)); }

// --- events from the reactor -----------------------------------------------------------------------------

void AsgiWebSocket::on_message(std::string &&payload, bool text) {
    if (finished_) return;
    messages_.push_back(Message{std::move(payload), text});
    if (py::object future = take_waiting_future(receive_future_)) {
        py::object message = take_message();
        steal_or_throw(PyObject_CallMethodOneArg(future.ptr(), names().set_result, message.ptr()));
    }
}

void AsgiWebSocket::on_close(std::uint16_t code, std::string &&reason) {
    if (!engine::ws_close_awaits_handler(code) || disconnected_ || finished_) {
        ended(code, std::move(reason));
        return;
    }
    // A protocol violation: the engine holds its close frame until the app has answered the messages before it.
    // A receive() waiting means it has; otherwise sends stay allowed until receive() reaches the disconnect (or
    // the app returns, whose close releases the engine's frame too).
    close_code_ = code;
    close_reason_ = std::move(reason);
    held_disconnect_ = true;
    discard_input();
    if (receive_waiting()) end_held_disconnect();
}

void AsgiWebSocket::end_held_disconnect() {
    held_disconnect_ = false;
    engine::WebSocketOutbound close;
    close.kind = engine::WebSocketOutbound::Kind::close;
    server_->post_websocket(id_, std::move(close));
    ended(close_code_, std::string(close_reason_));
}

void AsgiWebSocket::on_abort() { ended(1006, std::string()); }

void AsgiWebSocket::ended(std::uint16_t code, std::string &&reason) {
    if (disconnected_) return;
    disconnected_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    discard_input();  // the session reads nothing more
    // Messages already queued are still received first: a waiting receive() means there are none.
    wake_waiters_after_disconnect();
}

void AsgiWebSocket::on_sent() {
    if (notify_marks_.empty()) return;
    sent_bytes_ = notify_marks_.front();
    notify_marks_.pop_front();
    resolve_send_waiters();
}

void AsgiWebSocket::resolve_send_waiters() {
    if (posted_bytes_ - sent_bytes_ <= send_low_water_bytes) resume_senders();
}

// --- the end of the app ----------------------------------------------------------------------------------

void AsgiWebSocket::answer_unfinished(std::uint16_t close_code) {
    if (disconnected_) return;
    switch (state_) {
    case State::handshake:
        // The ASGI spec answers 403 to a handshake the app closes before accepting it; one the app returns or
        // raises without answering is refused the same way: the client learns "not here", the log says why.
        post_response(forbidden_response());
        state_ = State::denied;
        break;
    case State::denial_started:
        // The app's own denial is broken, and nothing is on the wire yet, so a 500 is still a truthful answer.
        {
            engine::ResponsePart part = internal_error_response();
            part.head->close = true;  // as every answer to a refused handshake
            post_response(std::move(part));
        }
        state_ = State::denied;
        break;
    case State::denial_body:
        server_->abort(id_);  // part of the denial went out: cut rather than fake a complete response
        break;
    case State::open:
        post_frame(engine::WebSocketOutbound::Kind::close, std::string(), 0, close_code);
        state_ = State::app_closed;
        break;
    case State::app_closed:
    case State::denied: break;
    }
}

py::object AsgiWebSocket::answer_return() {
    // Refusing a WebSocket is an app's right, so only INFO; a denial response left half-made is a bug in the app.
    py::object note = py::none();
    if (closed_before_accept_) {
        note = log_note(LogLevel::info, "ASGI application closed the WebSocket before accepting it (answered 403)");
    } else if (!disconnected_) {
        if (state_ == State::handshake) {
            note = log_note(LogLevel::info,
                            "ASGI application returned without accepting the WebSocket handshake (answered 403)");
        } else if (state_ == State::denial_started) {
            note = log_note(LogLevel::error,
                            "ASGI application returned without sending the denial response's body (answered 500)");
        } else if (state_ == State::denial_body) {
            note = log_note(LogLevel::error,
                            "ASGI application returned without completing the denial response (connection closed)");
        }
    }
    answer_unfinished(1000);  // returning from an open session is a normal closure
    return note;
}

} // namespace bridge
