// The WSGI interface of the native module: the server (engine + pump + the queue its Python threads serve)
// and the per-request objects an app sees (wsgi.input, start_response/write). None of them holds a Python
// reference that could lead back to itself while requests run (the server drops its own in drop_references()),
// so none needs GC traversal.

#include <pybind11/pybind11.h>

#include "wsgi_environ.hpp"
#include "wsgi_input.hpp"
#include "wsgi_response.hpp"
#include "wsgi_server.hpp"

namespace py = pybind11;

namespace bridge {

void register_wsgi(py::module_ &m) {
    register_wsgi_environ(m);
    register_wsgi_input(m);
    register_wsgi_response(m);

    py::class_<WsgiServer>(m, "WsgiServer", "The engine serving one WSGI app to a pool of Python threads.")
        .def(py::init([](py::handle engine_settings, py::object app, py::object errors_stream,
                         py::object file_wrapper, py::object logger, std::string root_path, bool multiprocess,
                         py::object static_observer) {
                 if (!PyType_Check(file_wrapper.ptr())) throw py::type_error("file_wrapper must be a class");
                 WsgiCallables callables{std::move(app), std::move(errors_stream), std::move(file_wrapper),
                                         std::move(logger), std::move(static_observer)};
                 WsgiOptions options{std::move(root_path), multiprocess};
                 return std::make_unique<WsgiServer>(engine_settings, std::move(callables), std::move(options));
             }),
             py::arg("engine_settings"), py::arg("app"), py::arg("errors_stream"), py::arg("file_wrapper"),
             py::arg("logger"), py::kw_only(), py::arg("root_path") = "", py::arg("multiprocess") = false,
             py::arg("static_observer") = py::none())
        .def("start", &WsgiServer::start, "Listen and start the reactors and the pump (raises StartupError).")
        .def("serve_requests", &WsgiServer::serve_requests,
             "A WSGI thread's body: run requests as they come (GIL released while idle) until close().")
        .def("stop", &WsgiServer::stop, "Stop accepting; in-flight requests finish. Does not block.")
        .def("wait", &WsgiServer::wait, "Block (without the GIL) until the reactors have exited.")
        .def("close", &WsgiServer::close, "After wait(): wake every WSGI thread so serve_requests() returns.")
        .def("drop_references", &WsgiServer::drop_references, "After the threads returned: drop the app.")
        .def("stats", &WsgiServer::stats, "The engine's counters, one dict per reactor ([] before start).")
        .def_property_readonly("bound_port", &WsgiServer::bound_port)
        .def_property_readonly("in_flight", &WsgiServer::in_flight);
}

} // namespace bridge
