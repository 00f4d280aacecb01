#include "tls/ktls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#ifndef TCP_ULP
#define TCP_ULP 31  // linux/tcp.h; older libc headers lack it
#endif

namespace engine::tls {

namespace {

bool listed_in_available_ulps() noexcept {
    std::FILE *file = std::fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
    if (!file) return false;
    char line[256] = {};
    const bool read = std::fgets(line, sizeof line, file) != nullptr;
    std::fclose(file);
    if (!read) return false;
    // Space-separated names, e.g. "mptcp tls".
    std::string_view names(line);
    while (!names.empty()) {
        const std::size_t end = names.find_first_of(" \n");
        if (names.substr(0, end) == "tls") return true;
        if (end == std::string_view::npos) break;
        names.remove_prefix(end + 1);
    }
    return false;
}

class Descriptor {
  public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor &) = delete;
    Descriptor &operator=(const Descriptor &) = delete;
    int get() const noexcept { return fd_; }

  private:
    int fd_;
};

/// The ULP can only be attached to an established TCP socket, so make one over loopback.
bool ulp_attaches_to_a_socket() noexcept {
    Descriptor listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (listener.get() < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        ::listen(listener.get(), 1) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&address), &length) != 0)
        return false;
    Descriptor client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (client.get() < 0 || ::connect(client.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        return false;
    return ::setsockopt(client.get(), IPPROTO_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
}

} // namespace

KtlsSupport probe_ktls() noexcept {
    if (listed_in_available_ulps() || ulp_attaches_to_a_socket()) return {true, {}};
    return {false, "the kernel has no `tls` ULP"};
}

std::string_view ktls_log_line(const KtlsSupport &support) noexcept {
    // The kTLS send path is not implemented yet, so even an able kernel gets user-space encryption.
    return support.available
               ? "kTLS available but not used yet: files over TLS are encrypted in user space"
               : "kTLS unavailable: files over TLS are encrypted in user space";
}

} // namespace engine::tls
