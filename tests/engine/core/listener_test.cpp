#include "core/listener.hpp"

#include "engine/server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace engine;
using namespace engine::core;

namespace {

/// A listener of "another server" on 127.0.0.1: with SO_REUSEPORT it is what the kernel would let us join.
struct ForeignListener {
    int fd = -1;
    std::uint16_t port = 0;

    explicit ForeignListener(bool reuse_port, std::uint16_t wanted = 0) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(wanted);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        port = port_of(fd);
    }
    ~ForeignListener() { ::close(fd); }
    ForeignListener(const ForeignListener &) = delete;
    ForeignListener &operator=(const ForeignListener &) = delete;

    static std::uint16_t port_of(int socket) {
        sockaddr_storage storage{};
        socklen_t length = sizeof storage;
        REQUIRE(::getsockname(socket, reinterpret_cast<sockaddr *>(&storage), &length) == 0);
        if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6 &>(storage).sin6_port);
        return ntohs(reinterpret_cast<sockaddr_in &>(storage).sin_port);
    }
};

/// A port nothing listens on a moment ago (bound once without listening, then released).
std::uint16_t unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    const std::uint16_t port = ForeignListener::port_of(fd);
    ::close(fd);
    return port;
}

/// A client connected to 127.0.0.1:port (the test fails when the connect does).
int connect_loopback(std::uint16_t port) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
    return client;
}

ListenConfig tcp_config(std::uint16_t port, const std::string &host = "127.0.0.1") {
    ListenConfig config;
    config.host = host;
    config.port = port;
    return config;
}

/// The StartupError text open_listeners throws, or "" when it opens the sockets (closed again here).
std::string open_error(const ListenConfig &config, unsigned reactors) {
    std::uint16_t bound = 0;
    try {
        auto sockets = open_listeners(config, reactors, bound);
        close_listeners(sockets, config);
    } catch (const StartupError &error) {
        return error.what();
    }
    return "";
}

std::string check_error(const ListenConfig &config) {
    try {
        ensure_port_free(config);
    } catch (const StartupError &error) {
        return error.what();
    }
    return "";
}

bool ipv6_available() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    return bound;
}

} // namespace

TEST_CASE("listener: a port someone else listens on is refused, SO_REUSEPORT or not") {
    for (const bool reuse_port : {true, false}) {
        CAPTURE(reuse_port);
        ForeignListener stranger(reuse_port);
        const std::string expected = "address http://127.0.0.1:" + std::to_string(stranger.port) + " is already in use";
        CHECK(open_error(tcp_config(stranger.port), 1) == expected);
        CHECK(open_error(tcp_config(stranger.port), 3) == expected);
        CHECK(check_error(tcp_config(stranger.port)) == expected);
        // The wildcard address overlaps the stranger's 127.0.0.1.
        CHECK(open_error(tcp_config(stranger.port, "0.0.0.0"), 2).find("is already in use") != std::string::npos);
        if (ipv6_available()) {
            CHECK(open_error(tcp_config(stranger.port, "::"), 2) ==
                  "address http://[::]:" + std::to_string(stranger.port) + " is already in use");
        }
    }
}

TEST_CASE("listener: our own reactors share one port") {
    const ListenConfig config = tcp_config(unused_port());
    std::uint16_t bound = 0;
    auto sockets = open_listeners(config, 3, bound);
    REQUIRE(sockets.size() == 3);
    CHECK(bound == config.port);
    for (const auto &list : sockets) {
        REQUIRE(list.size() == 1);
        CHECK(ForeignListener::port_of(list[0].fd) == config.port);
    }
    CHECK(sockets[0][0].fd != sockets[1][0].fd);
    // A second server of ours on the same port is a stranger too.
    CHECK(open_error(config, 1).find("is already in use") != std::string::npos);
    close_listeners(sockets, config);
    // Closed: the port is free again.
    CHECK(open_error(config, 2) == "");
}

TEST_CASE("listener: port 0 lets the first socket pick the port and the others join it") {
    const ListenConfig config = tcp_config(0);
    CHECK(check_error(config) == "");  // nothing to check before the kernel picks
    std::uint16_t bound = 0;
    auto sockets = open_listeners(config, 3, bound);
    CHECK(bound != 0);
    for (const auto &list : sockets) CHECK(ForeignListener::port_of(list[0].fd) == bound);
    CHECK(sockets[2][0].description == "http://127.0.0.1:" + std::to_string(bound));
    close_listeners(sockets, config);
}

TEST_CASE("listener: IPv6 and a specific host are checked like 127.0.0.1") {
    if (!ipv6_available()) {
        MESSAGE("skipped: no IPv6 loopback on this machine");
        return;
    }
    for (const std::string host : {"::", "::1"}) {
        CAPTURE(host);
        ListenConfig config = tcp_config(unused_port(), host);
        std::uint16_t bound = 0;
        auto sockets = open_listeners(config, 2, bound);
        CHECK(ForeignListener::port_of(sockets[1][0].fd) == config.port);
        CHECK(open_error(config, 1) ==
              "address http://[" + host + "]:" + std::to_string(config.port) + " is already in use");
        close_listeners(sockets, config);
    }
}

TEST_CASE("listener: TIME_WAIT connections of an earlier server do not hold the port") {
    const ListenConfig config = tcp_config(unused_port());
    std::uint16_t bound = 0;
    auto sockets = open_listeners(config, 1, bound);
    // The server side closes first, so the TIME_WAIT is on the server's port.
    const int client = connect_loopback(config.port);
    const int accepted = ::accept4(sockets[0][0].fd, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(accepted >= 0);
    ::close(accepted);
    char byte = 0;
    CHECK(::read(client, &byte, 1) == 0);  // the server's FIN
    ::close(client);
    close_listeners(sockets, config);
    CHECK(open_error(config, 2) == "");
}

TEST_CASE("listener: with check_port_free off, a supervisor's worker joins its siblings") {
    ListenConfig config = tcp_config(unused_port());
    std::uint16_t bound = 0;
    auto sibling = open_listeners(config, 1, bound);
    config.check_port_free = false;
    auto worker = open_listeners(config, 2, bound);
    CHECK(ForeignListener::port_of(worker[1][0].fd) == config.port);
    close_listeners(worker, config);
    close_listeners(sibling, config);
}

TEST_CASE("listener: nothing to check for a Unix socket or inherited descriptors") {
    ListenConfig unix_socket;
    unix_socket.uds_path = "/nonexistent-dir/never-bound.sock";
    CHECK(check_error(unix_socket) == "");
    ForeignListener inherited(false);
    ListenConfig given = tcp_config(inherited.port);
    given.inherited_fds = {inherited.fd};
    CHECK(check_error(given) == "");
}

TEST_CASE("listener: an inherited socket reaches each reactor as a descriptor of its own") {
    // A draining reactor closes its descriptor; the others (and whoever else holds the socket) must keep theirs.
    ForeignListener listener(false);
    ListenConfig config = tcp_config(listener.port);
    config.inherited_fds = {::dup(listener.fd)};
    std::uint16_t bound = 0;
    auto sockets = open_listeners(config, 3, bound);
    REQUIRE(sockets.size() == 3);
    CHECK(bound == listener.port);
    CHECK(sockets[0][0].fd == config.inherited_fds[0]);
    CHECK(sockets[1][0].fd != sockets[0][0].fd);
    CHECK(sockets[2][0].fd != sockets[1][0].fd);
    for (const auto &list : sockets) {
        CHECK(list[0].shared);
        CHECK(ForeignListener::port_of(list[0].fd) == listener.port);
    }
    // Reactor 1 closes its own: the socket still takes connections through the others.
    ::close(sockets[1][0].fd);
    sockets[1][0].fd = -1;
    const int client = connect_loopback(listener.port);
    const int accepted = ::accept4(sockets[2][0].fd, nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    ::close(accepted);
    ::close(client);
    close_listeners(sockets, config);
}
