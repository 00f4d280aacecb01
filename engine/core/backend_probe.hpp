#pragma once
// Chooses the I/O backend once, at start-up (STYLE: one probe decides, and names the reason for a
// fallback in one line, as monoio's detect_uring() does).

#include "engine/config.hpp"

#include <string>

namespace engine::core {

struct BackendChoice {
    IoBackendKind backend = IoBackendKind::io_uring;  ///< never `automatic`
    std::string fallback_reason;  ///< why io_uring is not used when `automatic` chose epoll; else empty
};

/// "" when the io_uring set-up the reactors use works here (the ring with its flags, a provided-buffer
/// ring, and the opcodes the engine submits); otherwise one line saying why not.
std::string probe_io_uring(const ServerConfig &config);

/// Resolves config.io_backend. `io_uring` that is refused throws StartupError with the probe's reason.
BackendChoice choose_io_backend(const ServerConfig &config);

} // namespace engine::core
