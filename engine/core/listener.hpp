#pragma once
// Listening sockets. TCP gets one SO_REUSEPORT socket per reactor so the kernel spreads
// connections across reactors; a Unix socket or inherited descriptors are shared by all reactors
// (each arms its own multishot accept on them).

#include "engine/config.hpp"
#include "engine/port_check.hpp"  // ensure_port_free

#include <cstdint>
#include <string>
#include <vector>

namespace engine::core {

struct ListenSocket {
    int fd = -1;
    bool owned = true;       ///< closed by us (inherited fds are closed too, after use)
    bool is_unix = false;
    std::string description; ///< "http://127.0.0.1:8000" or "unix:/path"
    bool shared = false;     ///< one socket for every reactor (and worker process): Unix or inherited
};

/// Opens what `config` asks for: `per_reactor[i]` are the sockets reactor i accepts on. Throws
/// StartupError with one clear line (address in use, also by a foreign SO_REUSEPORT listener; permission
/// denied, bad host...).
/// `bound_port` receives the TCP port (the kernel's pick when config.port is 0).
std::vector<std::vector<ListenSocket>> open_listeners(const ListenConfig &config, unsigned reactors,
                                                       std::uint16_t &bound_port);

/// Closes every socket once (shared sockets appear in several reactors' lists) and unlinks the Unix
/// socket file we created.
void close_listeners(std::vector<std::vector<ListenSocket>> &sockets, const ListenConfig &config);

} // namespace engine::core
