#pragma once
// What an exchange's app_returned() hands the request runner (uring_granian/asgi.py) to log when the app left
// its connection unfinished: the logging level and the line. Not every such end is an error: an app that returns
// before accepting a WebSocket refuses it, as a websocket.close would.

#include <pybind11/pybind11.h>

namespace bridge {

/// The numbers of Python's logging.INFO and logging.ERROR, fixed since the logging module exists.
enum class LogLevel : int { info = 20, error = 40 };

/// The (level, line) tuple app_returned() returns.
inline pybind11::object log_note(LogLevel level, const char *line) {
    return pybind11::make_tuple(static_cast<int>(level), line);
}

} // namespace bridge
