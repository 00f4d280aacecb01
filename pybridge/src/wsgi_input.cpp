#include "wsgi_input.hpp"

#include <cstddef>
#include <limits>
#include <string>

namespace py = pybind11;

namespace bridge {

namespace {

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

py::bytes bytes_of(const std::string &data) { return py::bytes(data.data(), data.size()); }

} // namespace

WsgiInput::WsgiInput(std::shared_ptr<WsgiChannel> channel)
    : live_(live_objects().wsgi_objects), channel_(std::move(channel)) {}

py::bytes WsgiInput::read(Py_ssize_t size) {
    std::string data;
    if (size == 0) return bytes_of(data);
    const std::size_t wanted = size < 0 ? no_limit : static_cast<std::size_t>(size);
    while (data.size() < wanted && channel_->read_some(data, wanted - data.size(), false)) {
    }
    return bytes_of(data);
}

py::bytes WsgiInput::readline(Py_ssize_t size) {
    std::string line;
    if (size == 0) return bytes_of(line);
    const std::size_t wanted = size < 0 ? no_limit : static_cast<std::size_t>(size);
    while (line.size() < wanted && (line.empty() || line.back() != '\n') &&
           channel_->read_some(line, wanted - line.size(), true)) {
    }
    return bytes_of(line);
}

py::list WsgiInput::readlines(Py_ssize_t hint) {
    py::list lines;
    std::size_t total = 0;
    for (;;) {
        py::bytes line = readline(-1);
        const auto length = static_cast<std::size_t>(PyBytes_GET_SIZE(line.ptr()));
        if (length == 0) break;
        lines.append(std::move(line));
        total += length;
        if (hint > 0 && total >= static_cast<std::size_t>(hint)) break;
    }
    return lines;
}

py::bytes WsgiInput::next_line() {
    py::bytes line = readline(-1);
    if (PyBytes_GET_SIZE(line.ptr()) == 0) throw py::stop_iteration();
    return line;
}

void register_wsgi_input(py::module_ &m) {
    py::class_<WsgiInput>(m, "WsgiInput", "environ['wsgi.input']: the request body, read as it arrives.")
        .def("read", &WsgiInput::read, py::arg("size") = -1, "Up to size bytes (all when size < 0); b'' at the end.")
        .def("readline", &WsgiInput::readline, py::arg("size") = -1, "One line (at most size bytes).")
        .def("readlines", &WsgiInput::readlines, py::arg("hint") = -1, "Lines until the end or the hint.")
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", &WsgiInput::next_line);
}

} // namespace bridge
