#include "core/timer_wheel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

using engine::core::TimerNode;
using engine::core::TimerWheel;

namespace {

std::vector<std::uint32_t> expire_owners(TimerWheel &wheel, std::uint64_t now_ms) {
    std::vector<std::uint32_t> owners;
    wheel.expire(now_ms, [&](TimerNode &node) {
        CHECK_FALSE(node.armed());
        owners.push_back(node.owner);
    });
    return owners;
}

} // namespace

TEST_CASE("timer wheel basics") {
    TimerWheel wheel(10, 16, 1000);
    TimerNode a{.owner = 1}, b{.owner = 2}, c{.owner = 3};

    SUBCASE("empty wheel") {
        CHECK(wheel.size() == 0);
        CHECK_FALSE(wheel.next_deadline_hint().has_value());
        CHECK(wheel.expire(5000, [](TimerNode &) { FAIL("nothing is scheduled"); }) == 0);
    }
    SUBCASE("fires in deadline order across ticks, each once") {
        wheel.schedule(c, 1090);
        wheel.schedule(a, 1015);
        wheel.schedule(b, 1042);
        CHECK(wheel.size() == 3);
        CHECK(a.armed());
        CHECK(expire_owners(wheel, 1014).empty());
        CHECK(expire_owners(wheel, 1100) == std::vector<std::uint32_t>{1, 2, 3});
        CHECK(wheel.size() == 0);
        CHECK_FALSE(a.armed());
        CHECK(expire_owners(wheel, 1200).empty());
    }
    SUBCASE("deadlines are exact to the millisecond within a tick") {
        wheel.schedule(a, 1015);
        wheel.schedule(b, 1017);
        CHECK(expire_owners(wheel, 1014).empty());
        CHECK(expire_owners(wheel, 1015) == std::vector<std::uint32_t>{1});
        CHECK(expire_owners(wheel, 1016).empty());
        CHECK(expire_owners(wheel, 1017) == std::vector<std::uint32_t>{2});
    }
    SUBCASE("a deadline in the past fires on the next expire") {
        wheel.schedule(a, 10);
        CHECK(wheel.next_deadline_hint() == 10u);
        CHECK(wheel.next_deadline_hint() <= 1000u);
        CHECK(expire_owners(wheel, 1000) == std::vector<std::uint32_t>{1});
    }
    SUBCASE("cancel is idempotent and keeps the count") {
        wheel.schedule(a, 1020);
        wheel.schedule(b, 1020);
        wheel.cancel(a);
        wheel.cancel(a);
        CHECK_FALSE(a.armed());
        CHECK(wheel.size() == 1);
        CHECK(expire_owners(wheel, 2000) == std::vector<std::uint32_t>{2});
        wheel.cancel(b);  // already fired
        CHECK(wheel.size() == 0);
    }
    SUBCASE("re-scheduling an armed node moves it") {
        wheel.schedule(a, 1020);
        wheel.schedule(a, 1150);
        CHECK(wheel.size() == 1);
        CHECK(expire_owners(wheel, 1100).empty());
        CHECK(expire_owners(wheel, 1150) == std::vector<std::uint32_t>{1});
        wheel.schedule(b, 1300);
        wheel.schedule(b, 1160);  // earlier than before
        CHECK(expire_owners(wheel, 1170) == std::vector<std::uint32_t>{2});
    }
    SUBCASE("next_deadline_hint") {
        wheel.schedule(a, 1075);
        wheel.schedule(b, 1033);
        // Rounded up to the end of the tick: one wake-up per tick at most.
        CHECK(wheel.earliest_deadline() == 1033u);
        CHECK(wheel.next_deadline_hint() == 1040u);
        CHECK(expire_owners(wheel, 1040) == std::vector<std::uint32_t>{2});
        CHECK(wheel.earliest_deadline() == 1075u);
        CHECK(wheel.next_deadline_hint() == 1080u);
        wheel.schedule(b, 1070);  // a tick boundary needs no rounding
        CHECK(wheel.next_deadline_hint() == 1070u);
        wheel.cancel(a);
        wheel.cancel(b);
        CHECK_FALSE(wheel.next_deadline_hint().has_value());
        CHECK_FALSE(wheel.earliest_deadline().has_value());
    }
    SUBCASE("a hint near the end of time does not overflow") {
        wheel.schedule(a, UINT64_MAX - 3);
        CHECK(wheel.next_deadline_hint() == UINT64_MAX);
    }
}

TEST_CASE("timer wheel far-future deadlines") {
    // One revolution is 16 slots * 10 ms = 160 ms.
    TimerWheel wheel(10, 16, 0);
    TimerNode soon{.owner = 1}, far{.owner = 2}, very_far{.owner = 3};
    wheel.schedule(far, 1005);         // same slot as 5, 165, 325, ... but six revolutions out
    wheel.schedule(very_far, 1'000'000'007);
    wheel.schedule(soon, 5);

    CHECK(wheel.earliest_deadline() == 5u);
    CHECK(wheel.next_deadline_hint() == 10u);
    CHECK(expire_owners(wheel, 5) == std::vector<std::uint32_t>{1});
    CHECK(wheel.earliest_deadline() == 1005u);  // found only by a full scan
    CHECK(wheel.next_deadline_hint() == 1010u);

    SUBCASE("stepping tick by tick passes the slot several times without firing early") {
        std::vector<std::uint32_t> fired;
        for (std::uint64_t now = 10; now <= 1004; now += 3) {
            const auto owners = expire_owners(wheel, now);
            fired.insert(fired.end(), owners.begin(), owners.end());
        }
        CHECK(fired.empty());
        CHECK(expire_owners(wheel, 1005) == std::vector<std::uint32_t>{2});
    }
    SUBCASE("a long stall fires what is due and keeps the rest") {
        CHECK(expire_owners(wheel, 50'000) == std::vector<std::uint32_t>{2});
        CHECK(wheel.size() == 1);
        CHECK(wheel.earliest_deadline() == 1'000'000'007u);
        CHECK(wheel.next_deadline_hint() == 1'000'000'010u);
        CHECK(expire_owners(wheel, 1'000'000'006).empty());
        CHECK(expire_owners(wheel, 1'000'000'007) == std::vector<std::uint32_t>{3});
    }
    SUBCASE("the hint is safe to sleep until") {
        // Sleeping until the hint and expiring then always makes progress.
        std::size_t fired = 0;
        while (auto hint = wheel.next_deadline_hint())
            fired += wheel.expire(*hint, [](TimerNode &) {});
        CHECK(fired == 2);
    }
}

TEST_CASE("timer wheel callbacks may change the wheel") {
    TimerWheel wheel(10, 8, 0);
    TimerNode a{.owner = 1}, b{.owner = 2}, c{.owner = 3};

    SUBCASE("re-schedule itself: fires again only on a later expire") {
        wheel.schedule(a, 5);
        int calls = 0;
        auto reschedule = [&](TimerNode &node) {
            ++calls;
            wheel.schedule(node, node.deadline_ms + 20);
        };
        CHECK(wheel.expire(5, reschedule) == 1);
        CHECK(calls == 1);
        CHECK(a.armed());
        CHECK(a.deadline_ms == 25);
        CHECK(wheel.expire(24, reschedule) == 0);
        CHECK(wheel.expire(25, reschedule) == 1);
        CHECK(a.deadline_ms == 45);
    }
    SUBCASE("re-schedule itself to a deadline already past: no endless loop") {
        wheel.schedule(a, 5);
        auto reschedule_now = [&](TimerNode &node) { wheel.schedule(node, 0); };
        CHECK(wheel.expire(100, reschedule_now) == 1);
        CHECK(wheel.size() == 1);
        CHECK(wheel.expire(100, reschedule_now) == 1);
    }
    SUBCASE("cancel the next node of the same slot") {
        // Same deadline: same slot, and b directly follows a in it.
        wheel.schedule(a, 15);
        wheel.schedule(b, 15);
        wheel.schedule(c, 15);
        std::vector<std::uint32_t> fired;
        const std::size_t count = wheel.expire(20, [&](TimerNode &node) {
            fired.push_back(node.owner);
            if (node.owner == 1) wheel.cancel(b);
        });
        CHECK(count == 2);
        CHECK(fired == std::vector<std::uint32_t>{1, 3});
        CHECK_FALSE(b.armed());
        CHECK(wheel.size() == 0);
    }
    SUBCASE("cancel a node due later in the same call, in another slot") {
        wheel.schedule(a, 12);
        wheel.schedule(b, 47);
        const std::size_t count = wheel.expire(50, [&](TimerNode &) { wheel.cancel(b); });
        CHECK(count == 1);
        CHECK(wheel.size() == 0);
    }
    SUBCASE("re-schedule another due node: it waits for its new deadline") {
        wheel.schedule(a, 12);
        wheel.schedule(b, 13);
        std::vector<std::uint32_t> fired;
        wheel.expire(20, [&](TimerNode &node) {
            fired.push_back(node.owner);
            if (node.owner == 1) wheel.schedule(b, 70);
        });
        CHECK(fired == std::vector<std::uint32_t>{1});
        CHECK(b.armed());
        CHECK(expire_owners(wheel, 69).empty());
        CHECK(expire_owners(wheel, 70) == std::vector<std::uint32_t>{2});
    }
    SUBCASE("schedule a brand-new node from a callback") {
        wheel.schedule(a, 12);
        wheel.expire(20, [&](TimerNode &) { wheel.schedule(c, 21); });
        CHECK(wheel.size() == 1);
        CHECK(expire_owners(wheel, 21) == std::vector<std::uint32_t>{3});
    }
}

TEST_CASE("timer wheel degenerate geometry") {
    SUBCASE("zero tick and zero slots still work") {
        TimerWheel wheel(0, 0, 0);
        TimerNode a{.owner = 1}, b{.owner = 2};
        wheel.schedule(b, 9);
        wheel.schedule(a, 3);
        CHECK(wheel.next_deadline_hint() == 3u);  // 1 ms ticks: exact
        CHECK(expire_owners(wheel, 3) == std::vector<std::uint32_t>{1});
        CHECK(expire_owners(wheel, 9) == std::vector<std::uint32_t>{2});
    }
    SUBCASE("slot count is rounded up to a power of two") {
        TimerWheel wheel(1, 5, 0);  // 8 slots
        TimerNode a{.owner = 1};
        wheel.schedule(a, 13);
        CHECK(expire_owners(wheel, 12).empty());
        CHECK(expire_owners(wheel, 13) == std::vector<std::uint32_t>{1});
    }
}

TEST_CASE("timer wheel with many nodes fires each exactly once") {
    constexpr std::uint32_t node_count = 10'000;
    TimerWheel wheel(4, 64, 0);  // 256 ms per revolution, deadlines spread over ~40 revolutions
    auto nodes = std::make_unique<TimerNode[]>(node_count);
    std::mt19937 random(12345);
    std::uniform_int_distribution<std::uint64_t> deadline(0, 10'000);
    for (std::uint32_t i = 0; i < node_count; ++i) {
        nodes[i].owner = i;
        wheel.schedule(nodes[i], deadline(random));
    }
    // Cancel every tenth and move every seventh, to mix the lists up.
    std::size_t expected_to_fire = node_count;
    for (std::uint32_t i = 0; i < node_count; i += 10) {
        wheel.cancel(nodes[i]);
        --expected_to_fire;
    }
    for (std::uint32_t i = 3; i < node_count; i += 7)
        if (nodes[i].armed()) wheel.schedule(nodes[i], deadline(random));
    CHECK(wheel.size() == expected_to_fire);

    std::vector<int> fire_count(node_count, 0);
    std::uint64_t last_deadline_tick = 0;
    std::size_t total = 0;
    for (std::uint64_t now = 0; now <= 10'050; now += 13) {
        total += wheel.expire(now, [&](TimerNode &node) {
            ++fire_count[node.owner];
            CHECK(node.deadline_ms <= now);
            // Never late by more than one step of this loop.
            CHECK(node.deadline_ms + 13 > now);
            CHECK(node.deadline_ms / 4 >= last_deadline_tick);
            last_deadline_tick = node.deadline_ms / 4;
        });
        last_deadline_tick = 0;
    }
    CHECK(total == expected_to_fire);
    CHECK(wheel.size() == 0);
    for (std::uint32_t i = 0; i < node_count; ++i) {
        CAPTURE(i);
        REQUIRE(fire_count[i] == (i % 10 == 0 ? 0 : 1));
    }
}

TEST_CASE("timer wheel reports the earliest deadline scheduled since it was last asked") {
    TimerWheel wheel(100, 64, 1000);
    TimerNode a{.owner = 1}, b{.owner = 2};
    CHECK_FALSE(wheel.take_earliest_scheduled_hint().has_value());
    wheel.schedule(a, 6000);
    wheel.schedule(b, 1250);
    wheel.schedule(a, 7000);  // a re-armed keep-alive: later, and the earlier one still counts
    CHECK(wheel.take_earliest_scheduled_hint() == 1300u);  // rounded up to its tick, as next_deadline_hint is
    CHECK_FALSE(wheel.take_earliest_scheduled_hint().has_value());  // asked: forgotten
    wheel.cancel(b);
    CHECK_FALSE(wheel.take_earliest_scheduled_hint().has_value());  // a cancel schedules nothing
    wheel.schedule(b, 5000);
    CHECK(wheel.take_earliest_scheduled_hint() == 5000u);
    CHECK(wheel.next_deadline_hint() == 5000u);
}
