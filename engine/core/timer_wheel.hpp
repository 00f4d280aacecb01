#pragma once
// A hashed timing wheel for per-connection timeouts (header read, keep-alive idle, shutdown
// drain): thousands of timers cost the reactor one wake per tick, not one kernel timeout each.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace engine::core {

/// Embedded in the object it times (a connection); the wheel links it into intrusive circular
/// lists, so scheduling never allocates. An armed node must be cancelled before it is destroyed
/// or moved, and belongs to one wheel at a time.
struct TimerNode {
    TimerNode *prev = nullptr, *next = nullptr;
    std::uint64_t deadline_ms = 0;
    std::uint32_t owner = 0;  ///< e.g. connection slot; the wheel never reads it
    bool armed() const noexcept { return next != nullptr; }
};

/// Slot i holds the nodes whose deadline tick is i modulo the slot count, across revolutions;
/// a scan fires only the nodes that are due, so deadlines beyond one revolution simply wait
/// for a later pass. Single-threaded (one wheel per reactor).
class TimerWheel {
  public:
    /// `tick_ms` is the resolution (0 is taken as 1); `slot_count` is rounded up to a power of two.
    /// One revolution (tick_ms * slots) should cover the common timeouts so nodes are scanned
    /// about once before they fire.
    TimerWheel(std::uint32_t tick_ms, std::uint32_t slot_count, std::uint64_t now_ms);
    TimerWheel(const TimerWheel &) = delete;
    TimerWheel &operator=(const TimerWheel &) = delete;

    /// Arms `node` to fire at `deadline_ms`, moving it if already armed. O(1). A deadline that has
    /// already passed fires on the next expire().
    void schedule(TimerNode &node, std::uint64_t deadline_ms) noexcept;
    /// Disarms `node`. O(1), idempotent.
    void cancel(TimerNode &node) noexcept;

    /// Fires every node whose deadline <= now_ms, each exactly once, in tick order (no order
    /// within a tick). A node is disarmed before its callback runs, so the callback may
    /// re-schedule or cancel any node, including ones due in this same call (a cancelled one does
    /// not fire; a re-scheduled one fires no earlier than the next call). Not re-entrant: a
    /// callback must not call expire(). Returns how many fired.
    template <class F> std::size_t expire(std::uint64_t now_ms, F &&on_expire);

    /// When the reactor should next call expire(): the earliest deadline rounded up to the end of
    /// its tick (so one wake-up serves a whole tick; timers fire at most one tick late), or nullopt
    /// if nothing is armed. Cheap when a deadline lies within the next revolution; otherwise it
    /// walks every slot once.
    std::optional<std::uint64_t> next_deadline_hint() const noexcept;
    /// The earliest deadline given to schedule() since the last call, rounded up as next_deadline_hint()
    /// rounds, or nullopt; forgets it. O(1): a caller already holding a wake-up at some deadline learns
    /// whether it needs an earlier one without scanning the wheel (every re-armed keep-alive lands later).
    std::optional<std::uint64_t> take_earliest_scheduled_hint() noexcept;
    /// The exact earliest armed deadline, or nullopt.
    std::optional<std::uint64_t> earliest_deadline() const noexcept;
    std::size_t size() const noexcept { return size_; }

  private:
    std::uint64_t round_up_to_tick(std::uint64_t deadline_ms) const noexcept;
    static void link_empty(TimerNode &sentinel) noexcept;
    static void link_before(TimerNode &sentinel, TimerNode &node) noexcept;
    static void unlink(TimerNode &node) noexcept;
    std::size_t slot_index(std::uint64_t tick) const noexcept { return static_cast<std::size_t>(tick & slot_mask_); }
    /// Moves every due node into the `due` list, still armed, and advances the wheel to now_ms.
    void collect_due(std::uint64_t now_ms, TimerNode &due) noexcept;

    std::uint64_t tick_ms_;
    std::uint64_t slot_mask_;
    /// The tick the wheel last scanned up to; its slot is scanned again by the next expire()
    /// because nodes due later within that tick may still be waiting there.
    std::uint64_t current_tick_;
    std::size_t size_ = 0;
    std::uint64_t earliest_scheduled_ = UINT64_MAX;  ///< since the last take_earliest_scheduled_hint()
    std::vector<TimerNode> slots_;  ///< list sentinels; allocated once, never resized
};

template <class F> std::size_t TimerWheel::expire(std::uint64_t now_ms, F &&on_expire) {
    // Two phases, so that callbacks only ever see a consistent wheel: first every due node is moved
    // to a private list, then they are fired one by one. Cancelling a node that is still on that
    // list unlinks it from there, so it is never fired; scheduling puts it back in a slot.
    TimerNode due;
    link_empty(due);
    collect_due(now_ms, due);
    std::size_t fired = 0;
    while (due.next != &due) {
        TimerNode &node = *due.next;
        unlink(node);
        --size_;
        ++fired;
        on_expire(node);
    }
    return fired;
}

} // namespace engine::core
