#pragma once
// The exception types of the bridge. They are defined in Python (uring_granian/errors.py, importable without
// the native module) and fetched here once; C++ errors are translated to them at the pybind11 boundary,
// keeping their message text.

#include <Python.h>

#include <stdexcept>

#include <pybind11/pybind11.h>

namespace bridge {

/// The app broke the ASGI or WSGI protocol (wrong message order, wrong types, invalid header). Becomes
/// uring_granian.errors.ProtocolError (a RuntimeError) at the Python boundary, with this message.
class ProtocolError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Borrowed references, valid after register_errors().
PyObject *client_disconnected_error() noexcept;  ///< ClientDisconnected(OSError)
PyObject *startup_error() noexcept;              ///< StartupError(OSError)
PyObject *protocol_error() noexcept;             ///< ProtocolError(RuntimeError)

/// Raises ClientDisconnected in Python and throws pybind11::error_already_set.
[[noreturn]] void throw_client_disconnected();

/// A new ClientDisconnected instance (for Future.set_exception); nullptr with an error set on failure.
PyObject *new_client_disconnected() noexcept;

void register_errors(pybind11::module_ &m);

} // namespace bridge
