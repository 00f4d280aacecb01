#include "errors.hpp"

#include "engine/server.hpp"

namespace py = pybind11;

namespace bridge {

namespace {
PyObject *client_disconnected_type = nullptr;
PyObject *startup_error_type = nullptr;
PyObject *protocol_error_type = nullptr;

constexpr const char *client_disconnected_message = "the client disconnected";
} // namespace

PyObject *client_disconnected_error() noexcept { return client_disconnected_type; }
PyObject *startup_error() noexcept { return startup_error_type; }
PyObject *protocol_error() noexcept { return protocol_error_type; }

void throw_client_disconnected() {
    PyErr_SetString(client_disconnected_type, client_disconnected_message);
    throw py::error_already_set();
}

PyObject *new_client_disconnected() noexcept {
    PyObject *message = PyUnicode_FromString(client_disconnected_message);
    if (message == nullptr) return nullptr;
    PyObject *error = PyObject_CallOneArg(client_disconnected_type, message);
    Py_DECREF(message);
    return error;
}

void register_errors(py::module_ &m) {
    py::module_ errors = py::module_::import("uring_granian.errors");
    // Kept for the life of the process: the module (and so these classes) is never unloaded.
    client_disconnected_type = py::object(errors.attr("ClientDisconnected")).release().ptr();
    startup_error_type = py::object(errors.attr("StartupError")).release().ptr();
    protocol_error_type = py::object(errors.attr("ProtocolError")).release().ptr();
    m.attr("ClientDisconnected") = py::handle(client_disconnected_type);
    m.attr("StartupError") = py::handle(startup_error_type);
    m.attr("ProtocolError") = py::handle(protocol_error_type);

    py::register_exception_translator([](std::exception_ptr error) {
        try {
            if (error) std::rethrow_exception(error);
        } catch (const ProtocolError &e) {
            PyErr_SetString(protocol_error_type, e.what());
        } catch (const engine::StartupError &e) {
            PyErr_SetString(startup_error_type, e.what());
        }
    });
}

} // namespace bridge
