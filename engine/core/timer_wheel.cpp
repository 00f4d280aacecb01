#include "core/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace engine::core {

TimerWheel::TimerWheel(std::uint32_t tick_ms, std::uint32_t slot_count, std::uint64_t now_ms)
    : tick_ms_(std::max<std::uint32_t>(tick_ms, 1)),
      // A power of two turns the slot lookup into a mask.
      slot_mask_(std::bit_ceil(std::max<std::uint64_t>(slot_count, 1)) - 1), current_tick_(now_ms / tick_ms_),
      slots_(slot_mask_ + 1) {
    for (TimerNode &sentinel : slots_)
        link_empty(sentinel);
}

void TimerWheel::link_empty(TimerNode &sentinel) noexcept { sentinel.prev = sentinel.next = &sentinel; }

void TimerWheel::link_before(TimerNode &sentinel, TimerNode &node) noexcept {
    node.prev = sentinel.prev;
    node.next = &sentinel;
    sentinel.prev->next = &node;
    sentinel.prev = &node;
}

void TimerWheel::unlink(TimerNode &node) noexcept {
    // Lists are circular with a sentinel, so a node unlinks itself without knowing which list
    // (a slot or expire()'s due list) it is on.
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
}

void TimerWheel::schedule(TimerNode &node, std::uint64_t deadline_ms) noexcept {
    cancel(node);
    node.deadline_ms = deadline_ms;
    earliest_scheduled_ = std::min(earliest_scheduled_, deadline_ms);
    // A deadline in an already-scanned tick goes to the current slot, which the next expire()
    // scans first.
    const std::uint64_t tick = std::max(deadline_ms / tick_ms_, current_tick_);
    link_before(slots_[slot_index(tick)], node);
    ++size_;
}

void TimerWheel::cancel(TimerNode &node) noexcept {
    if (!node.armed()) return;
    unlink(node);
    --size_;
}

void TimerWheel::collect_due(std::uint64_t now_ms, TimerNode &due) noexcept {
    const std::uint64_t target_tick = std::max(now_ms / tick_ms_, current_tick_);
    // Past one revolution every slot has been visited, so a long stall costs one full scan.
    const std::uint64_t ticks_to_scan = std::min(target_tick - current_tick_, slot_mask_) + 1;
    for (std::uint64_t step = 0; step < ticks_to_scan; ++step) {
        TimerNode &sentinel = slots_[slot_index(current_tick_ + step)];
        for (TimerNode *node = sentinel.next; node != &sentinel;) {
            TimerNode *following = node->next;
            if (node->deadline_ms <= now_ms) {
                // Still armed and counted: it leaves the wheel when fired or cancelled.
                node->prev->next = node->next;
                node->next->prev = node->prev;
                link_before(due, *node);
            }
            node = following;
        }
    }
    current_tick_ = target_tick;
}

std::optional<std::uint64_t> TimerWheel::next_deadline_hint() const noexcept {
    const std::optional<std::uint64_t> earliest = earliest_deadline();
    if (!earliest) return std::nullopt;
    return round_up_to_tick(*earliest);
}

std::optional<std::uint64_t> TimerWheel::take_earliest_scheduled_hint() noexcept {
    const std::uint64_t earliest = std::exchange(earliest_scheduled_, UINT64_MAX);
    if (earliest == UINT64_MAX) return std::nullopt;
    return round_up_to_tick(earliest);
}

std::uint64_t TimerWheel::round_up_to_tick(std::uint64_t deadline_ms) const noexcept {
    // Rounded up to the end of its tick, so every deadline in that tick fires in one wake-up
    // instead of one wake-up per millisecond that happens to hold a deadline.
    const std::uint64_t remainder = deadline_ms % tick_ms_;
    if (remainder == 0) return deadline_ms;
    const std::uint64_t to_tick_end = tick_ms_ - remainder;
    return deadline_ms > UINT64_MAX - to_tick_end ? UINT64_MAX : deadline_ms + to_tick_end;
}

std::optional<std::uint64_t> TimerWheel::earliest_deadline() const noexcept {
    if (size_ == 0) return std::nullopt;
    std::optional<std::uint64_t> earliest;
    for (std::uint64_t step = 0; step <= slot_mask_; ++step) {
        const std::uint64_t tick = current_tick_ + step;
        const TimerNode &sentinel = slots_[slot_index(tick)];
        bool due_this_revolution = false;
        for (const TimerNode *node = sentinel.next; node != &sentinel; node = node->next) {
            if (!earliest || node->deadline_ms < *earliest) earliest = node->deadline_ms;
            // Deadlines of earlier ticks only sit in the current slot (see schedule()).
            due_this_revolution = due_this_revolution || node->deadline_ms / tick_ms_ <= tick;
        }
        // Every node in a later slot has a later tick than one due in this revolution here, so
        // the search stops at the first such slot; only far-future timers force a full scan.
        if (due_this_revolution) return earliest;
    }
    return earliest;
}

} // namespace engine::core
