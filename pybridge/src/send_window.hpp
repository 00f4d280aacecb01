#pragma once
// Send backpressure for one HTTP response, shared by the ASGI exchange (send() awaits) and the WSGI channel
// (the app's thread blocks). It bounds what the engine holds for one response, not how fast a body the app
// already has in hand may go: a send waits only when the bytes still queued *before* its part are above the
// high-water mark, so a 4 MB body sent as one message (Quart) never waits for its own bytes to drain (issue
// 14), and the engine holds at most the mark plus one part, memory the app allocated anyway (large bytes are
// lent, not copied). A waiting send goes on once the queue ahead of it is down to the low-water mark, chosen by
// the user of the window from what a wake costs it.
//
// The window counts body bytes: some parts carry a notify_sent mark, and each on_sent (they come in posting
// order) tells that the bytes up to the oldest mark have left; marks go on one part per mark interval and on
// every part that makes its sender wait. Progress is known at marks only, so a sender goes on at the first mark
// at or past its wake point; with a low-water mark of 0 that is often its own part's (all it posted is sent). Not thread-safe: the WSGI channel calls it under its mutex.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bridge {

class SendWindow {
  public:
    static constexpr std::uint64_t high_water_bytes = 1024 * 1024;
    static constexpr std::uint64_t mark_interval_bytes = high_water_bytes / 4;

    explicit SendWindow(std::uint64_t low_water_bytes) : low_water_bytes_(low_water_bytes) {}

    struct Decision {
        bool notify_sent = false;  ///< post the part with notify_sent (it carries a mark)
        bool must_wait = false;    ///< the sender waits until may_go_on()
    };

    /// A part with `size` body bytes is about to be posted; `last` when it ends the response (it never waits:
    /// nothing comes after it to bound).
    Decision on_post(std::uint64_t size, bool last) {
        const std::uint64_t queued_before = posted_bytes_ - sent_bytes_;
        posted_bytes_ += size;
        Decision decision;
        decision.must_wait = !last && queued_before > high_water_bytes;
        if (!last && (decision.must_wait || posted_bytes_ - last_mark_ >= mark_interval_bytes)) {
            decision.notify_sent = true;
            marks_.push_back(posted_bytes_);
            last_mark_ = posted_bytes_;
        }
        if (decision.must_wait) wake_at_ = posted_bytes_ - size - std::min(queued_before, low_water_bytes_);
        return decision;
    }

    /// The engine's on_sent for the oldest mark. Returns may_go_on().
    bool on_sent() {
        if (marks_head_ == marks_.size()) return may_go_on();  // every on_sent answers a mark; nothing to advance
        sent_bytes_ = marks_[marks_head_++];
        if (marks_head_ == marks_.size()) {
            marks_.clear();
            marks_head_ = 0;
        }
        return may_go_on();
    }

    /// A sender that had to wait may go on: the queue ahead of its part is down to the low-water mark.
    bool may_go_on() const noexcept { return sent_bytes_ >= wake_at_; }

  private:
    std::uint64_t low_water_bytes_;
    std::uint64_t posted_bytes_ = 0;   ///< body bytes handed to the engine
    std::uint64_t sent_bytes_ = 0;     ///< of those, bytes known to be with the kernel
    std::uint64_t last_mark_ = 0;      ///< posted_bytes_ at the newest mark
    std::uint64_t wake_at_ = 0;        ///< a waiting sender goes on once sent_bytes_ reaches this
    std::vector<std::uint64_t> marks_; ///< posted_bytes_ at each mark not yet reported, oldest at marks_head_
    std::size_t marks_head_ = 0;
};

} // namespace bridge
