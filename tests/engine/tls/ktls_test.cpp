#include "tls/ktls.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

namespace engine::tls {

TEST_CASE("the kTLS probe agrees with the kernel's ULP list and names the path in use") {
    const KtlsSupport support = probe_ktls();
    std::string listed;
    std::getline(std::ifstream("/proc/sys/net/ipv4/tcp_available_ulp"), listed);
    // The probe may load the module, so a listed `tls` implies available, and the list is re-read after.
    std::string after;
    std::getline(std::ifstream("/proc/sys/net/ipv4/tcp_available_ulp"), after);
    if (listed.find("tls") != std::string::npos) CHECK(support.available);
    if (!support.available) {
        CHECK(after.find("tls") == std::string::npos);
        CHECK(ktls_log_line(support) == "kTLS unavailable: files over TLS are encrypted in user space");
        CHECK_FALSE(support.reason.empty());
    } else {
        CHECK(ktls_log_line(support).find("user space") != std::string::npos);
    }
}

} // namespace engine::tls
