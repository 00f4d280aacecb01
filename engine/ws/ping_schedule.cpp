#include "ws/ping_schedule.hpp"

namespace engine::ws {

PingDecision decide_ping(const PingPolicy &policy, const PingClock &clock, std::int64_t now_ms) noexcept {
    PingDecision decision;
    if (policy.interval_ms <= 0) return decision;  // keepalive off: no pings, so nothing can time out
    if (clock.ping_sent_ms >= 0) {
        if (policy.timeout_ms <= 0) return decision;
        const std::int64_t deadline = clock.ping_sent_ms + policy.timeout_ms;
        if (now_ms >= deadline) decision.action = PingAction::timed_out;
        else decision.next_check_ms = deadline;
        return decision;
    }
    const std::int64_t ping_due = clock.last_heard_ms + policy.interval_ms;
    if (now_ms < ping_due) {
        decision.next_check_ms = ping_due;
        return decision;
    }
    decision.action = PingAction::send_ping;
    decision.next_check_ms = policy.timeout_ms > 0 ? now_ms + policy.timeout_ms : PingDecision::never_ms;
    return decision;
}

} // namespace engine::ws
