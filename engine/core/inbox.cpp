#include "core/inbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace engine::core {

std::size_t body_size(const Body &body) noexcept {
    if (const auto *owned = std::get_if<std::string>(&body)) return owned->size();
    if (const auto *external = std::get_if<ExternalBuffer>(&body)) return external->size;
    if (const auto *file = std::get_if<FileRegion>(&body)) return file->length;
    return 0;
}

void release_body(Body &body) noexcept {
    if (auto *external = std::get_if<ExternalBuffer>(&body)) {
        give_back(*external);
    } else if (auto *file = std::get_if<FileRegion>(&body)) {
        if (file->fd >= 0) ::close(file->fd);
    }
    body = std::monostate{};
}

void release_command(Command &command) noexcept {
    release_body(command.part.body);
    release_body(command.websocket_outbound.payload);
}

Inbox::Inbox() {
    // Blocking on purpose: io_uring returns -EAGAIN for reads on O_NONBLOCK files instead of waiting.
    eventfd_ = ::eventfd(0, EFD_CLOEXEC);
    if (eventfd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Inbox::~Inbox() {
    if (eventfd_ >= 0) ::close(eventfd_);
}

void Inbox::post(Command &&command) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(command));
    }
    // Only the first post after a drain wakes the reactor.
    if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
        if (local_wake_) {
            local_wake_();
            return;
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t written = ::write(eventfd_, &one, sizeof one);
    }
}

void Inbox::drain(std::vector<Command> &out) {
    out.clear();
    // Clear the flag before taking the queue: a post racing with us then either lands in this
    // swap or wakes us again (a spare wake, never a lost one).
    wake_pending_.store(false, std::memory_order_release);
    std::lock_guard lock(mutex_);
    out.swap(queue_);
}

} // namespace engine::core
