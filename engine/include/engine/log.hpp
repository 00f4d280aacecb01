#pragma once
// Engine logging: one process-wide sink (stderr by default; the Python bridge installs one that
// forwards to the `uring_granian` logger). Messages are formatted with fmt before the sink sees them.

#include <fmt/format.h>

#include <string_view>

namespace engine {

enum class LogLevel : int { debug = 10, info = 20, warning = 30, error = 40 };

using LogSink = void (*)(LogLevel level, std::string_view message);

/// Installs `sink` (nullptr restores stderr). Call before Server::start().
void set_log_sink(LogSink sink) noexcept;
/// Messages below `level` are dropped before formatting.
void set_log_level(LogLevel level) noexcept;
bool log_enabled(LogLevel level) noexcept;
void log_message(LogLevel level, std::string_view message) noexcept;

template <class... Args> void log(LogLevel level, fmt::format_string<Args...> format, Args &&...args) {
    if (log_enabled(level)) log_message(level, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace engine
