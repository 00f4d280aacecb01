#include "dispatch_queue.hpp"

#include <cerrno>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

namespace bridge {

DispatchQueue::DispatchQueue(unsigned reactor_count, bool single_threaded)
    : single_threaded_(single_threaded), inboxes_(std::make_unique<Inbox[]>(reactor_count)), inbox_count_(reactor_count) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

DispatchQueue::~DispatchQueue() { ::close(wake_fd_); }

void DispatchQueue::push(std::uint32_t reactor, DispatchEvent &&event) {
    if (single_threaded_) {
        // The reactor is this loop thread's: the drain after this engine run takes it.
        inboxes_[0].events.push_back(std::move(event));
        return;
    }
    Inbox &inbox = inboxes_[reactor % inbox_count_];
    {
        std::lock_guard lock(inbox.mutex);
        inbox.events.push_back(std::move(event));
    }
    wake();
}

void DispatchQueue::wake() noexcept {
    // The drain after the run is due anyway.
    if (single_threaded_ && engine_running_.load(std::memory_order_relaxed)) return;
    // The flag keeps it to one write until the loop has drained: a burst of batches costs one syscall.
    if (signalled_.exchange(true, std::memory_order_acq_rel)) return;
    const std::uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void DispatchQueue::take(std::vector<DispatchEvent> &out) {
    if (single_threaded_) {
        // Only a wake_loop() from outside an engine run wrote the eventfd.
        if (signalled_.exchange(false, std::memory_order_acq_rel)) {
            std::uint64_t counter;
            while (::read(wake_fd_, &counter, sizeof counter) < 0 && errno == EINTR) {
            }
        }
        std::vector<DispatchEvent> &events = inboxes_[0].events;
        if (out.empty()) out.swap(events);
        else {
            for (auto &event : events) out.push_back(std::move(event));
            events.clear();
        }
        return;
    }
    std::uint64_t counter;
    while (::read(wake_fd_, &counter, sizeof counter) < 0 && errno == EINTR) {
    }
    // Re-arm before taking: a push that lands after this store wakes the loop again, one before it is taken now.
    signalled_.store(false, std::memory_order_release);
    for (unsigned i = 0; i < inbox_count_; ++i) {
        Inbox &inbox = inboxes_[i];
        std::lock_guard lock(inbox.mutex);
        if (inbox.events.empty()) continue;
        if (out.empty()) {
            out.swap(inbox.events);  // the inbox keeps the loop's (empty, already grown) vector
        } else {
            for (auto &event : inbox.events) out.push_back(std::move(event));
            inbox.events.clear();
        }
    }
}

} // namespace bridge
