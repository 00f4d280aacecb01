#pragma once
// The busy-port check a supervisor runs once before it starts workers that share a port (SO_REUSEPORT). The
// listening sockets themselves stay private to the engine in core/listener.hpp.

#include "engine/config.hpp"

namespace engine::core {

/// Throws StartupError "address ... is already in use" when a socket already listens on config's TCP address
/// (nothing to check for a Unix socket, inherited fds or port 0). What open_listeners does first unless
/// config.check_port_free is off: a supervisor calls it once, and its workers then bind without the check,
/// so they share the port with each other and with the worker a rolling restart replaces.
void ensure_port_free(const ListenConfig &config);

} // namespace engine::core
