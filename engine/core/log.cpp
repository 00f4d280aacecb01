#include "engine/log.hpp"

#include <atomic>
#include <cstdio>

namespace engine {

namespace {
std::atomic<LogSink> current_sink{nullptr};
std::atomic<int> minimum_level{static_cast<int>(LogLevel::info)};

const char *level_name(LogLevel level) noexcept {
    switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warning: return "WARNING";
    case LogLevel::error: return "ERROR";
    }
    return "LOG";
}
} // namespace

void set_log_sink(LogSink sink) noexcept { current_sink.store(sink, std::memory_order_release); }
void set_log_level(LogLevel level) noexcept { minimum_level.store(static_cast<int>(level)); }
bool log_enabled(LogLevel level) noexcept { return static_cast<int>(level) >= minimum_level.load(std::memory_order_relaxed); }

void log_message(LogLevel level, std::string_view message) noexcept {
    if (LogSink sink = current_sink.load(std::memory_order_acquire)) {
        sink(level, message);
        return;
    }
    std::fprintf(stderr, "[%s] uring_granian: %.*s\n", level_name(level), static_cast<int>(message.size()),
                 message.data());
}

} // namespace engine
