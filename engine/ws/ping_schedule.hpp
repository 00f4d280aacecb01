#pragma once
// Keepalive decisions (--ws-ping-interval, --ws-ping-timeout) as pure functions of timestamps, so
// the reactor's timer wheel only asks "what now, and when next?" and tests need no clock.
//
// A peer that has sent anything within the interval is alive and gets no ping; a quiet peer gets
// one ping, and must send something (its pong, or any frame) within the timeout.

#include <cstdint>
#include <limits>

namespace engine::ws {

struct PingPolicy {
    std::int64_t interval_ms = 0;  ///< ping a peer quiet for this long; 0: never ping
    std::int64_t timeout_ms = 0;   ///< give up on a ping unanswered this long; 0: wait forever
};

struct PingClock {
    std::int64_t last_heard_ms = 0;  ///< when the peer last sent a frame
    std::int64_t ping_sent_ms = -1;  ///< when our unanswered ping went out; -1: none outstanding
};

enum class PingAction : std::uint8_t {
    none,       ///< nothing to do yet
    send_ping,  ///< the peer has been quiet for the interval
    timed_out,  ///< our ping went unanswered past the timeout: the connection is dead
};

struct PingDecision {
    PingAction action = PingAction::none;
    /// When to ask again if nothing is heard meanwhile (after acting on `action`);
    /// never_ms when no timer is needed.
    std::int64_t next_check_ms = never_ms;

    static constexpr std::int64_t never_ms = std::numeric_limits<std::int64_t>::max();
};

/// What to do at `now_ms`. After send_ping the caller records ping_sent_ms = now_ms.
PingDecision decide_ping(const PingPolicy &policy, const PingClock &clock, std::int64_t now_ms) noexcept;

/// The peer sent a frame at `now_ms`: it is alive, and any outstanding ping counts as answered.
inline void note_heard(PingClock &clock, std::int64_t now_ms) noexcept {
    clock.last_heard_ms = now_ms;
    clock.ping_sent_ms = -1;
}

} // namespace engine::ws
