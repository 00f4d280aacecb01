#include "asgi_response.hpp"

#include <charconv>
#include <string_view>

#include <pybind11/pybind11.h>

#include "engine/ascii.hpp"
#include "names.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// A view of a bytes-like header name or value; the buffer is released on destruction.
class BytesView {
  public:
    BytesView(PyObject *object, const char *what, std::size_t index, std::string_view where) {
        if (PyBytes_Check(object)) {
            view_ = std::string_view(PyBytes_AS_STRING(object), static_cast<std::size_t>(PyBytes_GET_SIZE(object)));
            return;
        }
        if (PyObject_GetBuffer(object, &buffer_, PyBUF_SIMPLE) < 0) {
            PyErr_Clear();
            throw ProtocolError(std::string(where) + ": header " + std::to_string(index) + " " + what +
                                " must be bytes, not " + Py_TYPE(object)->tp_name);
        }
        has_buffer_ = true;
        view_ = std::string_view(static_cast<const char *>(buffer_.buf), static_cast<std::size_t>(buffer_.len));
    }
    ~BytesView() {
        if (has_buffer_) PyBuffer_Release(&buffer_);
    }
    BytesView(const BytesView &) = delete;
    BytesView &operator=(const BytesView &) = delete;
    std::string_view view() const noexcept { return view_; }

  private:
    Py_buffer buffer_{};
    bool has_buffer_ = false;
    std::string_view view_;
};

std::string printable(std::string_view text) {
    std::string shown;
    for (char c : text.substr(0, 64)) {
        if (c >= 0x20 && c < 0x7f) {
            shown.push_back(c);
        } else {
            static constexpr char digits[] = "0123456789abcdef";
            shown += "\\x";
            shown.push_back(digits[(static_cast<unsigned char>(c) >> 4) & 0xf]);
            shown.push_back(digits[static_cast<unsigned char>(c) & 0xf]);
        }
    }
    return shown;
}

} // namespace

void add_response_header(engine::ResponseHead &head, std::string_view name, std::string_view value, std::size_t index,
                         std::string_view where) {
    if (name.empty()) {
        throw ProtocolError(std::string(where) + ": header " + std::to_string(index) + " has an empty name");
    }
    if (!engine::is_token(name)) {
        throw ProtocolError(std::string(where) + ": header name '" + printable(name) +
                            "' contains a character not allowed in a header name");
    }
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') {
            throw ProtocolError(std::string(where) + ": the value of header '" + printable(name) +
                                "' contains CR, LF or NUL");
        }
    }
    if (engine::equals_ignoring_ascii_case(name, "content-length")) {
        std::uint64_t length = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (error != std::errc() || end != value.data() + value.size() || value.empty()) {
            throw ProtocolError(std::string(where) + ": invalid content-length '" + printable(value) + "'");
        }
        if (head.content_length && *head.content_length != length) {
            throw ProtocolError(std::string(where) + ": conflicting content-length headers");
        }
        head.content_length = length;
        return;
    }
    if (engine::equals_ignoring_ascii_case(name, "connection")) {
        // Connection is a comma-separated token list; only "close" matters here.
        if (engine::list_contains_token(value, "close")) head.close = true;
        return;
    }
    // The engine frames the body (chunked when there is no Content-Length).
    if (engine::equals_ignoring_ascii_case(name, "transfer-encoding")) return;
    // The app's own Date and Server replace the engine's.
    if (engine::equals_ignoring_ascii_case(name, "date")) head.has_date = true;
    if (engine::equals_ignoring_ascii_case(name, "server")) head.has_server = true;
    head.header_lines.append(name);
    head.header_lines.append(": ");
    head.header_lines.append(value);
    head.header_lines.append("\r\n");
}

engine::ResponseHead response_head_from(PyObject *message, std::string_view where) {
    const Names &n = names();
    engine::ResponseHead head;
    const std::string prefix(where);

    PyObject *status = PyDict_GetItemWithError(message, n.status);  // borrowed
    if (status == nullptr) {
        if (PyErr_Occurred()) throw py::error_already_set();
        throw ProtocolError(prefix + ": missing 'status'");
    }
    if (!PyLong_Check(status) || PyBool_Check(status)) {
        throw ProtocolError(prefix + ": 'status' must be an int, not " + Py_TYPE(status)->tp_name);
    }
    const long code = PyLong_AsLong(status);
    if (code < 100 || code > 999) {
        if (PyErr_Occurred()) PyErr_Clear();
        throw ProtocolError(prefix + ": status " + std::to_string(code) + " is not a valid HTTP status");
    }
    head.status = static_cast<std::uint16_t>(code);

    PyObject *headers = PyDict_GetItemWithError(message, n.headers);  // borrowed
    if (headers == nullptr && PyErr_Occurred()) throw py::error_already_set();
    add_response_headers(head, headers, where);
    return head;
}

void add_response_headers(engine::ResponseHead &head, PyObject *headers, std::string_view where) {
    if (headers == nullptr || headers == Py_None) return;
    py::object iterator = py::reinterpret_steal<py::object>(PyObject_GetIter(headers));
    if (!iterator) {
        PyErr_Clear();
        throw ProtocolError(std::string(where) + ": 'headers' must be an iterable of [name, value] pairs, not " +
                            Py_TYPE(headers)->tp_name);
    }
    std::size_t index = 0;
    while (PyObject *raw_pair = PyIter_Next(iterator.ptr())) {
        py::object pair = py::reinterpret_steal<py::object>(raw_pair);
        py::object items = py::reinterpret_steal<py::object>(PySequence_Fast(raw_pair, ""));
        if (!items || PySequence_Fast_GET_SIZE(items.ptr()) != 2) {
            PyErr_Clear();
            throw ProtocolError(std::string(where) + ": header " + std::to_string(index) +
                                " must be a [name, value] pair");
        }
        BytesView name(PySequence_Fast_GET_ITEM(items.ptr(), 0), "name", index, where);
        BytesView value(PySequence_Fast_GET_ITEM(items.ptr(), 1), "value", index, where);
        add_response_header(head, name.view(), value.view(), index, where);
        ++index;
    }
    if (PyErr_Occurred()) throw py::error_already_set();
}

engine::Body response_body_from(PyObject *body, std::size_t &size, LentBytes &lender) {
    if (PyBytes_CheckExact(body) || PyBytes_Check(body)) {
        size = static_cast<std::size_t>(PyBytes_GET_SIZE(body));
        if (size == 0) return std::monostate{};
        // Immutable, so the engine may read it later without a copy; the lend costs a reference and a
        // release event, which below the threshold costs more than copying.
        if (size >= lend_threshold_bytes) return lender.lend_bytes(body);
        return std::string(PyBytes_AS_STRING(body), size);
    }
    Py_buffer buffer;
    if (PyObject_GetBuffer(body, &buffer, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        throw ProtocolError(std::string("http.response.body: 'body' must be bytes-like, not ") +
                            Py_TYPE(body)->tp_name);
    }
    // bytearray and memoryview may change after send() returns: copy them.
    size = static_cast<std::size_t>(buffer.len);
    std::string copy(static_cast<const char *>(buffer.buf), size);
    PyBuffer_Release(&buffer);
    if (size == 0) return std::monostate{};
    return copy;
}

} // namespace bridge
