#include "http2/flood_guard.hpp"

#include <doctest/doctest.h>

using engine::http2::FloodGuard;
using engine::http2::FloodKind;

TEST_CASE("flood guard: a burst, then the steady rate") {
    FloodGuard guard;
    std::uint64_t now = 1'000;
    int allowed = 0;
    while (guard.allow(FloodKind::ping, now) && allowed < 1000) ++allowed;
    CHECK(allowed == 100);  // the PING burst
    CHECK_FALSE(guard.allow(FloodKind::ping, now));
    now += 1'000;  // a second refills ten
    int refilled = 0;
    while (guard.allow(FloodKind::ping, now)) ++refilled;
    CHECK(refilled == 10);
    // Kinds are counted apart.
    CHECK(guard.allow(FloodKind::settings, now));
    CHECK(guard.allow(FloodKind::reset, now));
}

TEST_CASE("flood guard: a client within the rate is never stopped") {
    FloodGuard guard;
    for (std::uint64_t ms = 0; ms < 60'000; ms += 50)  // 20 resets a second, below 33
        REQUIRE(guard.allow(FloodKind::reset, 1'000 + ms));
}
