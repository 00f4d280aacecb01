#include "dispatch_queue.hpp"

namespace bridge {

DispatchQueue::DispatchQueue(unsigned reactor_count, bool single_threaded)
    : single_threaded_(single_threaded), inboxes_(std::make_unique<Inbox[]>(reactor_count)), inbox_count_(reactor_count) {}

void DispatchQueue::push(std::uint32_t reactor, DispatchEvent &&event) {
    if (single_threaded_) {
        // The reactor is this loop thread's: the drain after this engine run takes it.
        inboxes_[0].events.post_unlocked(std::move(event));
        return;
    }
    inboxes_[reactor % inbox_count_].events.post(std::move(event));
    wake();
}

void DispatchQueue::wake() noexcept {
    // The drain after the run is due anyway.
    if (single_threaded_ && engine_running_.load(std::memory_order_relaxed)) return;
    // The doorbell keeps it to one write until the loop has drained: a burst of batches costs one syscall.
    doorbell_.ring();
}

void DispatchQueue::take(std::vector<DispatchEvent> &out) {
    if (single_threaded_) {
        // Only a wake_loop() from outside an engine run wrote the eventfd.
        if (doorbell_.answer()) doorbell_.read_counter();
        inboxes_[0].events.take_unlocked(out);
        return;
    }
    // Re-arm after reading and before taking: a push that lands after this wakes the loop again, one before it
    // is taken now.
    doorbell_.read_counter();
    doorbell_.answer();
    for (unsigned i = 0; i < inbox_count_; ++i) inboxes_[i].events.take(out);
}

} // namespace bridge
