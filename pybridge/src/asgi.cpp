// The ASGI interface of the native module: the server (engine + dispatch) and the sessions (AsgiSession: the
// per-request exchange, the per-connection WebSocket) whose bound receive/send the app gets. All hold Python
// references that can lead back to themselves (an exchange's pending future -> the task -> the coroutine ->
// receive/send -> the exchange), so all implement GC traversal: a cycle through them is always collectable, even
// though finish() normally breaks it first.

#include <pybind11/pybind11.h>

#include "asgi_exchange.hpp"
#include "asgi_scope.hpp"
#include "asgi_server.hpp"
#include "asgi_session.hpp"
#include "asgi_websocket.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

/// tp_traverse/tp_clear for a pybind11 class whose C++ type has traverse(visit, arg) and clear().
template <typename T> void enable_gc(PyHeapTypeObject *heap_type) {
    PyTypeObject *type = &heap_type->ht_type;
    type->tp_flags |= Py_TPFLAGS_HAVE_GC;
    type->tp_traverse = [](PyObject *self, visitproc visit, void *arg) -> int {
        Py_VISIT(Py_TYPE(self));  // heap types are referenced by their instances
        if (!py::detail::is_holder_constructed(self)) return 0;
        return py::cast<T &>(py::handle(self)).traverse(visit, arg);
    };
    type->tp_clear = [](PyObject *self) -> int {
        if (py::detail::is_holder_constructed(self)) py::cast<T &>(py::handle(self)).clear();
        return 0;
    };
}

/// One session kind as a subclass of AsgiSession. The interface is bound on the kind itself, not inherited from
/// the base: pybind11 then loads `self` by its exact type, with no base-class lookup on every receive()/send().
template <typename Session> void register_session_kind(py::module_ &m, const char *name, const char *doc) {
    py::class_<Session, AsgiSession>(m, name, py::custom_type_setup(enable_gc<Session>), doc)
        .def("receive", &Session::receive, "ASGI receive(): an awaitable of the next event.")
        .def("send", &Session::send, py::arg("message"), "ASGI send(message): an awaitable.")
        .def("app_returned", &Session::app_returned,
             "The app returned: answer what it left unanswered; returns (logging level, line) to log, or None.")
        .def("app_failed", &Session::app_failed, py::arg("error"),
             "The app raised: answer what it left unanswered; returns whether to log the error.")
        .def_property_readonly("disconnected", &Session::disconnected)
        .def_property_readonly("finished", &Session::finished);
}

} // namespace

void register_asgi(py::module_ &m) {
    py::class_<AsgiSession>(m, "AsgiSession",
                            "What the app's receive and send are bound to: an AsgiExchange or an AsgiWebSocket.");
    // An HTTP exchange answers what its app left unanswered with 500 or a cut connection.
    register_session_kind<AsgiExchange>(
        m, "AsgiExchange", "One request of an ASGI app: its bound receive and send are the app's callables.");
    // A WebSocket refuses (403) a handshake left unanswered, closes an open session (1000, or 1011 after an error)
    // or cuts a half-sent denial.
    register_session_kind<AsgiWebSocket>(
        m, "AsgiWebSocket", "One WebSocket connection of an ASGI app: its bound receive and send are the app's.");

    py::class_<AsgiServer>(m, "AsgiServer", py::custom_type_setup(enable_gc<AsgiServer>),
                           "The engine serving one ASGI app, fed to the asyncio loop through an eventfd.")
        .def(py::init([](py::handle engine_settings, py::object app, py::object loop, py::object runner,
                         py::object state, py::object logger, std::string root_path, std::size_t max_concurrency,
                         bool eager_tasks, py::object static_observer, bool single_threaded) {
                 AsgiCallables callables{std::move(app),    std::move(loop),   std::move(runner),
                                         std::move(state),  std::move(logger), std::move(static_observer)};
                 AsgiOptions options{std::move(root_path), max_concurrency, eager_tasks, single_threaded};
                 return std::make_unique<AsgiServer>(engine_settings, std::move(callables), std::move(options));
             }),
             py::arg("engine_settings"), py::arg("app"), py::arg("loop"), py::arg("runner"), py::arg("state"),
             py::arg("logger"), py::kw_only(), py::arg("root_path") = "", py::arg("max_concurrency") = 0,
             py::arg("eager_tasks") = false, py::arg("static_observer") = py::none(),
             py::arg("single_threaded") = false)
        .def("start", [](py::handle self) { py::cast<AsgiServer &>(self).start(self); },
             "Listen and start the reactors (raises StartupError); single-threaded, on this loop's thread.")
        .def("run_ready", [](py::handle self) { py::cast<AsgiServer &>(self).run_ready(self); },
             "Single-threaded: the loop's callback that runs the engine and dispatches what it produced.")
        .def("stop", &AsgiServer::stop, "Stop accepting; in-flight requests finish. Does not block.")
        .def("wait", &AsgiServer::wait, "Block (without the GIL) until the reactors have exited.")
        .def("drain", [](py::handle self) { py::cast<AsgiServer &>(self).drain(self); },
             "The loop's reader callback on wake_fd.")
        .def("_end_lingering_receive",
             [](AsgiServer &server, std::uint32_t reactor, std::uint32_t slot, std::uint32_t generation) {
                 server.end_lingering_receive(engine::ExchangeId{reactor, slot, generation});
             },
             "Timer callback: the grace after the connection's next request is over.")
        .def("close", &AsgiServer::close, "After wait(): end what is left and drop every reference.")
        .def("running_tasks", &AsgiServer::running_tasks, "Tasks of the requests still running.")
        .def("stats", &AsgiServer::stats, "The engine's counters, one dict per reactor ([] before start).")
        .def_property_readonly("wake_fd", &AsgiServer::wake_fd)
        .def_property_readonly("finished", &AsgiServer::finished,
                               "Single-threaded: a future done once a stop has drained the engine (else None).")
        .def_property_readonly("single_threaded", &AsgiServer::single_threaded)
        .def_property_readonly("bound_port", &AsgiServer::bound_port)
        .def_property_readonly("registered", &AsgiServer::registered_count);
}

} // namespace bridge
