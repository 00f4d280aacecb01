#include "core/listener.hpp"

#include "engine/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

namespace engine::core {

namespace {

std::string endpoint_text(const ListenConfig &config, std::uint16_t port) {
    if (config.host.find(':') != std::string::npos) return fmt::format("http://[{}]:{}", config.host, port);
    return fmt::format("http://{}:{}", config.host, port);
}

[[noreturn]] void fail_bind(const std::string &where, int err) {
    if (err == EADDRINUSE) throw StartupError(fmt::format("address {} is already in use", where));
    if (err == EACCES)
        throw StartupError(fmt::format("permission denied binding {} (ports below 1024 need privileges)", where));
    if (err == EADDRNOTAVAIL) throw StartupError(fmt::format("address {} is not available on this host", where));
    throw StartupError(fmt::format("cannot listen on {}: {}", where, std::strerror(err)));
}

struct FreeAddresses {
    void operator()(addrinfo *addresses) const noexcept { freeaddrinfo(addresses); }
};
using Addresses = std::unique_ptr<addrinfo, FreeAddresses>;

Addresses resolve(const ListenConfig &config) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo *result = nullptr;
    const std::string port = std::to_string(config.port);
    const int rc = getaddrinfo(config.host.empty() ? nullptr : config.host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0) throw StartupError(fmt::format("cannot resolve host \"{}\": {}", config.host, gai_strerror(rc)));
    return Addresses(result);
}

int new_tcp_socket(const addrinfo &address, const std::string &where) {
    const int fd = ::socket(address.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw StartupError(fmt::format("cannot create a socket for {}: {}", where, std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    return fd;
}

/// Binds `fd` to `address` with `port`; on failure closes it and throws fail_bind's line.
void bind_or_fail(int fd, const addrinfo &address, std::uint16_t port, const std::string &where) {
    sockaddr_storage storage{};
    std::memcpy(&storage, address.ai_addr, address.ai_addrlen);
    if (storage.ss_family == AF_INET) reinterpret_cast<sockaddr_in &>(storage).sin_port = htons(port);
    if (storage.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6 &>(storage).sin6_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), address.ai_addrlen) < 0) {
        const int err = errno;
        ::close(fd);
        fail_bind(where, err);
    }
}

/// Throws "address ... is already in use" when a socket, ours or not, listens on `port` of `address`.
///
/// Every listener here sets SO_REUSEPORT, and the kernel lets any later socket of the same user that sets it too
/// join the port (other users get EADDRINUSE anyway): a second server would start without a word and take a
/// share of the connections. A socket without SO_REUSEPORT cannot join, so its bind fails exactly when the port
/// is held; SO_REUSEADDR lets it bind past the TIME_WAIT and established connections an earlier server left
/// behind, which hold no listener. The probe is closed before the real sockets bind: a server starting within
/// those microseconds is not seen.
void ensure_no_listener(const addrinfo &address, std::uint16_t port, const std::string &where) {
    const int fd = new_tcp_socket(address, where);
    bind_or_fail(fd, address, port, where);
    ::close(fd);
}

int open_tcp(const addrinfo &address, std::uint16_t port, int backlog, const std::string &where) {
    const int fd = new_tcp_socket(address, where);
    const int one = 1;
    // One socket per reactor on the same port: the kernel hashes each new connection to one of them.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // Accepted sockets inherit TCP_NODELAY: responses go out when the send is issued, no Nagle wait.
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bind_or_fail(fd, address, port, where);
    if (::listen(fd, backlog) < 0) {
        const int err = errno;
        ::close(fd);
        fail_bind(where, err);
    }
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &length) < 0) return 0;
    if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in &>(storage).sin_port);
    if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6 &>(storage).sin6_port);
    return 0;
}

ListenSocket open_unix(const ListenConfig &config) {
    const std::string where = "unix:" + config.uds_path;
    sockaddr_un address{};
    if (config.uds_path.size() >= sizeof address.sun_path)
        throw StartupError(fmt::format("unix socket path is too long ({} bytes, at most {}): {}",
                                       config.uds_path.size(), sizeof address.sun_path - 1, config.uds_path));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, config.uds_path.c_str(), config.uds_path.size() + 1);
    // A stale socket file from a previous run would make bind fail; remove it, but never a regular file.
    struct stat info {};
    if (::lstat(config.uds_path.c_str(), &info) == 0) {
        if (!S_ISSOCK(info.st_mode))
            throw StartupError(fmt::format("{} exists and is not a socket; refusing to replace it", config.uds_path));
        ::unlink(config.uds_path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw StartupError(fmt::format("cannot create a unix socket: {}", std::strerror(errno)));
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) < 0 || ::listen(fd, config.backlog) < 0) {
        const int err = errno;
        ::close(fd);
        fail_bind(where, err);
    }
    if (config.uds_permissions != 0 && ::chmod(config.uds_path.c_str(), config.uds_permissions) < 0) {
        const int err = errno;
        ::close(fd);
        throw StartupError(fmt::format("cannot chmod {:o} {}: {}", config.uds_permissions, config.uds_path,
                                       std::strerror(err)));
    }
    return ListenSocket{fd, true, true, where, true};
}

ListenSocket adopt_inherited(int fd) {
    int accepting = 0;
    socklen_t length = sizeof accepting;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) < 0 || !accepting)
        throw StartupError(fmt::format("inherited file descriptor {} is not a listening socket", fd));
    // Ours from now on: a subprocess the app starts must not hold the listener open after we close it.
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    sockaddr_storage storage{};
    socklen_t address_length = sizeof storage;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &address_length);
    return ListenSocket{fd, true, storage.ss_family == AF_UNIX, fmt::format("fd:{}", fd), true};
}

// A socket every reactor accepts on (inherited, Unix) reaches each reactor as a descriptor of its own: reactor 0
// gets `socket`, the others a dup of it. A draining reactor can then close what it accepted from without pulling
// the descriptor from under the others, and the socket itself closes (new connections refused) once the last
// holder is done: each reactor of each worker, and a supervisor that closes its copy at the start of a stop.
void give_each_reactor(std::vector<std::vector<ListenSocket>> &sockets, const ListenSocket &socket) {
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        ListenSocket copy = socket;
        if (i > 0) {
            copy.fd = ::fcntl(socket.fd, F_DUPFD_CLOEXEC, 0);
            if (copy.fd < 0)
                throw StartupError(fmt::format("cannot duplicate {} for reactor {}: {}", socket.description, i,
                                               std::strerror(errno)));
        }
        sockets[i].push_back(std::move(copy));
    }
}

} // namespace

std::vector<std::vector<ListenSocket>> open_listeners(const ListenConfig &config, unsigned reactors,
                                                       std::uint16_t &bound_port) {
    std::vector<std::vector<ListenSocket>> sockets(reactors);
    bound_port = 0;
    try {
        if (!config.inherited_fds.empty()) {
            for (int fd : config.inherited_fds) {
                const ListenSocket shared = adopt_inherited(fd);
                give_each_reactor(sockets, shared);
                // A TCP socket a supervisor bound for its workers: report its port like our own (log lines, tests).
                if (bound_port == 0 && !shared.is_unix) bound_port = local_port(fd);
            }
            return sockets;
        }
        if (!config.uds_path.empty()) {
            give_each_reactor(sockets, open_unix(config));
            return sockets;
        }
    } catch (...) {
        close_listeners(sockets, config);
        throw;
    }
    const Addresses addresses = resolve(config);
    try {
        std::uint16_t port = config.port;
        // Checked once, before the first socket: the later ones join our own. Port 0 needs no check, the kernel
        // picks a free port.
        if (config.check_port_free && port != 0) ensure_no_listener(*addresses, port, endpoint_text(config, port));
        for (unsigned i = 0; i < reactors; ++i) {
            const std::string where = endpoint_text(config, port);
            const int fd = open_tcp(*addresses, port, config.backlog, where);
            // With port 0 the first bind picks a port; the other reactors join that one.
            if (port == 0) port = local_port(fd);
            sockets[i].push_back(ListenSocket{fd, true, false, endpoint_text(config, port), false});
        }
        bound_port = port;
    } catch (...) {
        close_listeners(sockets, config);
        throw;
    }
    return sockets;
}

void ensure_port_free(const ListenConfig &config) {
    if (!config.inherited_fds.empty() || !config.uds_path.empty() || config.port == 0) return;
    ensure_no_listener(*resolve(config), config.port, endpoint_text(config, config.port));
}

void close_listeners(std::vector<std::vector<ListenSocket>> &sockets, const ListenConfig &config) {
    std::set<int> closed;
    bool had_unix = false;
    for (auto &list : sockets) {
        for (ListenSocket &socket : list) {
            if (socket.fd >= 0 && socket.owned && closed.insert(socket.fd).second) ::close(socket.fd);
            had_unix = had_unix || (socket.is_unix && config.inherited_fds.empty());
            socket.fd = -1;
        }
    }
    sockets.clear();
    if (had_unix && !config.uds_path.empty()) ::unlink(config.uds_path.c_str());
}

} // namespace engine::core
