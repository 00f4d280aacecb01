#include "wsgi_response.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgi_response.hpp"  // add_response_header, response_body_from
#include "error_responses.hpp"
#include "errors.hpp"
#include "lent_bytes.hpp"
#include "wsgi_server.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

[[noreturn]] void raise(PyObject *type, const std::string &message) {
    PyErr_SetString(type, message.c_str());
    throw py::error_already_set();
}

/// A short, single-line rendering of app-given text for error messages.
std::string shown(std::string_view text) {
    std::string out(text.substr(0, 64));
    std::replace_if(out.begin(), out.end(), [](char c) { return c < 0x20 || c == 0x7f; }, '?');
    return out;
}

/// PEP 3333 "native strings": str whose code points are all below 256, read as their Latin-1 bytes (CPython
/// stores such a str as exactly those bytes, so this is a view, not a conversion).
std::string_view latin1_view(PyObject *text, const char *what) {
    if (!PyUnicode_Check(text)) {
        raise(PyExc_TypeError, std::string("start_response: ") + what + " must be str, not " + Py_TYPE(text)->tp_name);
    }
    if (PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND) {
        throw ProtocolError(std::string("start_response: ") + what + " has characters outside Latin-1");
    }
    return {reinterpret_cast<const char *>(PyUnicode_1BYTE_DATA(text)),
            static_cast<std::size_t>(PyUnicode_GET_LENGTH(text))};
}

std::uint16_t status_code(PyObject *status) {
    const std::string_view text = latin1_view(status, "status");
    bool valid = text.size() >= 3 && (text.size() == 3 || text[3] == ' ') && text[0] >= '1' && text[0] <= '9';
    for (std::size_t i = 0; valid && i < 3; ++i) valid = text[i] >= '0' && text[i] <= '9';
    valid = valid && text.find_first_of("\r\n") == std::string_view::npos;
    if (!valid) throw ProtocolError("start_response: status must look like '200 OK', not '" + shown(text) + "'");
    return static_cast<std::uint16_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
}

engine::ResponseHead head_from(PyObject *status, PyObject *headers) {
    engine::ResponseHead head;
    head.status = status_code(status);
    py::object items = py::reinterpret_steal<py::object>(PySequence_Fast(headers, ""));
    if (!items) {
        PyErr_Clear();
        raise(PyExc_TypeError, std::string("start_response: headers must be a list of (name, value) tuples, not ") +
                                   Py_TYPE(headers)->tp_name);
    }
    const Py_ssize_t count = PySequence_Fast_GET_SIZE(items.ptr());
    for (Py_ssize_t index = 0; index < count; ++index) {
        PyObject *pair = PySequence_Fast_GET_ITEM(items.ptr(), index);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            raise(PyExc_TypeError, "start_response: header " + std::to_string(index) +
                                       " must be a (name, value) tuple, not " + Py_TYPE(pair)->tp_name);
        }
        add_response_header(head, latin1_view(PyTuple_GET_ITEM(pair, 0), "a header name"),
                            latin1_view(PyTuple_GET_ITEM(pair, 1), "a header value"),
                            static_cast<std::size_t>(index), "start_response");
    }
    return head;
}

/// PEP 3333: start_response(..., exc_info) after the head went out re-raises the app's own error.
[[noreturn]] void reraise(PyObject *exc_info) {
    py::object items = py::reinterpret_steal<py::object>(PySequence_Tuple(exc_info));
    if (!items || PyTuple_GET_SIZE(items.ptr()) != 3) {
        PyErr_Clear();
        raise(PyExc_TypeError, "start_response: exc_info must be a (type, value, traceback) tuple");
    }
    PyObject *type = PyTuple_GET_ITEM(items.ptr(), 0);
    PyObject *value = PyTuple_GET_ITEM(items.ptr(), 1);
    PyObject *traceback = PyTuple_GET_ITEM(items.ptr(), 2);
    PyErr_Restore(Py_NewRef(type), Py_NewRef(value), traceback == Py_None ? nullptr : Py_NewRef(traceback));
    throw py::error_already_set();
}

void require_bytes(PyObject *chunk) {
    if (!PyBytes_Check(chunk)) {
        raise(PyExc_TypeError, std::string("the WSGI application must produce bytes, not ") + Py_TYPE(chunk)->tp_name);
    }
}

} // namespace

WsgiResponder::WsgiResponder(std::shared_ptr<WsgiChannel> channel, std::shared_ptr<LentBytes> lender)
    : live_(live_objects().wsgi_objects), channel_(std::move(channel)), lender_(std::move(lender)) {}

void WsgiResponder::start_response(py::handle status, py::handle headers, py::handle exc_info) {
    if (!exc_info.is_none()) {
        if (head_sent_) reraise(exc_info.ptr());
    } else if (head_given_) {
        throw ProtocolError("start_response: called a second time without exc_info");
    }
    held_head_ = head_from(status.ptr(), headers.ptr());
    head_given_ = true;
}

void WsgiResponder::require_started(const char *what) const {
    if (!head_given_) throw ProtocolError(std::string(what) + " before start_response() was called");
}

void WsgiResponder::write(py::handle data) {
    require_started("write() called");
    if (ended_ || channel_->finished()) raise(PyExc_ValueError, "write() called after the response ended");
    require_bytes(data.ptr());
    if (!send_chunk(data.ptr(), false)) throw_client_disconnected();
}

bool WsgiResponder::post(engine::Body &&body, std::size_t size, bool end) {
    engine::ResponsePart part;
    if (!head_sent_) {
        if (end && !held_head_->content_length) held_head_->content_length = size;  // the whole body is here
        part.head = std::move(*held_head_);
        held_head_.reset();
        head_sent_ = true;
    }
    part.body = std::move(body);
    part.end = end;
    ended_ = end;
    const bool delivered = channel_->send(std::move(part), size);
    // Bodies lent earlier come back from the reactor as it sends them; drop them as the response goes, not at
    // its end, or a long streamed response would keep every chunk it produced alive.
    lender_->drop_released();
    return delivered;
}

bool WsgiResponder::send_chunk(PyObject *chunk, bool end) {
    std::size_t size = 0;
    engine::Body body = response_body_from(chunk, size, *lender_);  // bytes: lent without a copy from 16 KiB on
    // PEP 3333: the head goes out with the first non-empty chunk, so an empty one changes nothing yet.
    if (size == 0 && !end) return !channel_->aborted();
    return post(std::move(body), size, end);
}

void WsgiResponder::send_result(py::handle result, py::handle file_wrapper_type) {
    if (Py_TYPE(result.ptr()) == reinterpret_cast<PyTypeObject *>(file_wrapper_type.ptr()) && send_file(result)) {
        return;
    }
    if (PyList_CheckExact(result.ptr()) || PyTuple_CheckExact(result.ptr())) {
        send_sequence(result.ptr());
        return;
    }
    send_iterable(result);
}

bool WsgiResponder::send_sequence(PyObject *sequence) {
    // A list or tuple is the whole body at once: its length becomes the Content-Length (no chunked framing,
    // keep-alive for HTTP/1.0 clients too) and its last chunk carries the end of the response.
    require_started("the application returned");
    py::object items = py::reinterpret_steal<py::object>(PySequence_Tuple(sequence));  // immune to mutation
    if (!items) throw py::error_already_set();
    const Py_ssize_t count = PyTuple_GET_SIZE(items.ptr());
    std::uint64_t total = 0;
    Py_ssize_t last = -1;
    for (Py_ssize_t i = 0; i < count; ++i) {
        PyObject *chunk = PyTuple_GET_ITEM(items.ptr(), i);
        require_bytes(chunk);
        if (PyBytes_GET_SIZE(chunk) > 0) last = i;
        total += static_cast<std::uint64_t>(PyBytes_GET_SIZE(chunk));
    }
    if (!head_sent_ && !held_head_->content_length) held_head_->content_length = total;
    if (last < 0) return post(std::monostate{}, 0, true);
    for (Py_ssize_t i = 0; i <= last; ++i) {
        if (!send_chunk(PyTuple_GET_ITEM(items.ptr(), i), i == last)) return false;
    }
    return true;
}

bool WsgiResponder::send_iterable(py::handle result) {
    py::object iterator = py::reinterpret_steal<py::object>(PyObject_GetIter(result.ptr()));
    if (!iterator) throw py::error_already_set();
    while (PyObject *item = PyIter_Next(iterator.ptr())) {
        py::object chunk = py::reinterpret_steal<py::object>(item);
        require_bytes(item);
        require_started("the application produced a body");
        if (!send_chunk(item, false)) return false;  // the client left: stop producing (close() still runs)
    }
    if (PyErr_Occurred()) throw py::error_already_set();
    require_started("the application returned");
    return post(std::monostate{}, 0, true);
}

bool WsgiResponder::send_file(py::handle wrapper) {
    // wsgi.file_wrapper over a regular file with a descriptor: the engine sends it with sendfile(), zero-copy.
    // Anything else (no fileno, a pipe, a head already sent by write()) iterates in blocks instead.
    if (head_sent_ || !head_given_) return false;
    py::object filelike = wrapper.attr("filelike");
    int fd = -1;
    std::int64_t position = 0;
    try {
        fd = filelike.attr("fileno")().cast<int>();
        // tell(), not lseek(): a buffered reader's logical position is where the app left it.
        position = filelike.attr("tell")().cast<std::int64_t>();
    } catch (py::error_already_set &) {
        return false;  // io.UnsupportedOperation, AttributeError: not a real file
    } catch (const py::cast_error &) {
        return false;
    }
    struct stat info {};
    if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || position < 0) return false;
    std::uint64_t length = info.st_size > position ? static_cast<std::uint64_t>(info.st_size - position) : 0;
    if (held_head_->content_length) length = std::min(length, *held_head_->content_length);
    if (length == 0) return post(std::monostate{}, 0, true);
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);  // the engine closes what it is given; the app closes its own
    if (copy < 0) return false;
    post(engine::FileRegion{copy, static_cast<std::uint64_t>(position), length}, length, true);
    return true;
}

void WsgiResponder::fail() {
    if (ended_) return;  // the response is complete (close() failed after it): nothing left to answer
    if (!head_sent_) {
        ended_ = true;
        head_sent_ = true;
        channel_->send(internal_error_response(), 0);
        return;
    }
    ended_ = true;
    channel_->server()->abort(channel_->id());  // the head is out: cut the connection rather than fake success
}

void register_wsgi_response(py::module_ &m) {
    py::class_<WsgiResponder>(m, "WsgiResponder", "The start_response()/write() pair of one WSGI request.")
        .def(
            "start_response",
            [](py::object self, py::handle status, py::handle headers, py::handle exc_info) {
                self.cast<WsgiResponder &>().start_response(status, headers, exc_info);
                return self.attr("write");
            },
            py::arg("status"), py::arg("headers"), py::arg("exc_info") = py::none(),
            "PEP 3333 start_response; returns the write() callable.")
        .def("write", &WsgiResponder::write, py::arg("data"), "PEP 3333 write(): sends data now.");
}

} // namespace bridge
