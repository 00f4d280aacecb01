#include "ws/ping_schedule.hpp"

#include <doctest/doctest.h>

using engine::ws::decide_ping;
using engine::ws::note_heard;
using engine::ws::PingAction;
using engine::ws::PingClock;
using engine::ws::PingDecision;
using engine::ws::PingPolicy;

TEST_CASE("keepalive off: never a ping, never a timer") {
    const PingPolicy off{0, 5000};
    const auto decision = decide_ping(off, PingClock{0, -1}, 1'000'000);
    CHECK(decision.action == PingAction::none);
    CHECK(decision.next_check_ms == PingDecision::never_ms);
}

TEST_CASE("a quiet peer gets a ping after the interval, then a timeout") {
    const PingPolicy policy{20'000, 5'000};
    PingClock clock{1'000, -1};
    auto decision = decide_ping(policy, clock, 10'000);
    CHECK(decision.action == PingAction::none);
    CHECK(decision.next_check_ms == 21'000);
    decision = decide_ping(policy, clock, 21'000);
    CHECK(decision.action == PingAction::send_ping);
    CHECK(decision.next_check_ms == 26'000);
    clock.ping_sent_ms = 21'000;
    decision = decide_ping(policy, clock, 25'999);
    CHECK(decision.action == PingAction::none);
    CHECK(decision.next_check_ms == 26'000);
    CHECK(decide_ping(policy, clock, 26'000).action == PingAction::timed_out);
}

TEST_CASE("hearing from the peer answers the ping and restarts the interval") {
    const PingPolicy policy{20'000, 5'000};
    PingClock clock{0, 20'000};
    note_heard(clock, 22'000);
    CHECK(clock.ping_sent_ms == -1);
    const auto decision = decide_ping(policy, clock, 30'000);
    CHECK(decision.action == PingAction::none);
    CHECK(decision.next_check_ms == 42'000);
}

TEST_CASE("no timeout: a ping is sent but never given up on") {
    const PingPolicy policy{1'000, 0};
    PingClock clock{0, -1};
    auto decision = decide_ping(policy, clock, 1'000);
    CHECK(decision.action == PingAction::send_ping);
    CHECK(decision.next_check_ms == PingDecision::never_ms);
    clock.ping_sent_ms = 1'000;
    CHECK(decide_ping(policy, clock, 1'000'000).action == PingAction::none);
}
