#include "engine/handoff.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace engine {

Doorbell::Doorbell(bool nonblocking) {
    fd_ = ::eventfd(0, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Doorbell::~Doorbell() {
    if (fd_ >= 0) ::close(fd_);
}

void Doorbell::ring() noexcept {
    if (pending_.exchange(true, std::memory_order_acq_rel)) return;
    if (local_wake_) {
        local_wake_();
        return;
    }
    const std::uint64_t one = 1;
    while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void Doorbell::read_counter() noexcept {
    std::uint64_t counter;
    while (::read(fd_, &counter, sizeof counter) < 0 && errno == EINTR) {
    }
}

} // namespace engine
