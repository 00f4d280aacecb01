#pragma once
// Kernel TLS (the `tls` upper-layer protocol): with it, a socket encrypts in the kernel and files
// can go to a TLS socket zero-copy with sendfile(). Without it, file bodies over TLS are read into memory
// and encrypted in user space. This only detects which path the machine allows.

#include <string_view>

namespace engine::tls {

struct KtlsSupport {
    bool available = false;
    std::string_view reason;  ///< why not, for the startup log line
};

/// Looks for "tls" in /proc/sys/net/ipv4/tcp_available_ulp, then tries setsockopt(TCP_ULP, "tls") on
/// a connected loopback socket (which may load the module). Costs a few syscalls: call once at startup.
KtlsSupport probe_ktls() noexcept;

/// The one startup line saying which path file bodies over TLS take.
std::string_view ktls_log_line(const KtlsSupport &support) noexcept;

} // namespace engine::tls
