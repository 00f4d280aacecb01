#pragma once
// Logging a pending Python error with its traceback, the one way both interfaces do it, so the cause is never lost.

#include <Python.h>

#include <utility>

#include <pybind11/pybind11.h>

namespace bridge {

/// Takes (clears) the pending Python error as its exception object, with the traceback attached to it: 3.11 keeps
/// the traceback apart until the error is normalised, and the logger prints the one the exception carries.
pybind11::object take_current_error();

/// logger.error(*message, exc_info=error); throws pybind11::error_already_set if the logger raises.
template <typename... Message> void log_error(pybind11::handle logger, pybind11::handle error, Message &&...message) {
    logger.attr("error")(std::forward<Message>(message)..., pybind11::arg("exc_info") = error);
}

/// Logs the pending Python error (take_current_error) on `logger` with log_error. An error raised by the logger
/// itself goes to sys.unraisablehook.
template <typename... Message> void log_current_error(pybind11::handle logger, Message &&...message) {
    pybind11::object error = take_current_error();
    try {
        log_error(logger, error, std::forward<Message>(message)...);
    } catch (pybind11::error_already_set &failure) {
        failure.restore();  // PyErr_WriteUnraisable reports the pending error: without it, only the object is named
        PyErr_WriteUnraisable(logger.ptr());
    }
}

} // namespace bridge
