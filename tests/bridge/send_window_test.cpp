#include "send_window.hpp"

#include <doctest/doctest.h>

using bridge::SendWindow;

namespace {
constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;
} // namespace

TEST_CASE("a body sent as one part never waits for its own bytes") {
    SendWindow window(SendWindow::high_water_bytes / 2);
    const auto whole = window.on_post(4 * MiB, false);
    CHECK_FALSE(whole.must_wait);
    CHECK(whole.notify_sent);  // past the mark interval: progress is reported
    CHECK_FALSE(window.on_post(0, true).must_wait);
}

TEST_CASE("the final part never waits, however much is queued") {
    SendWindow window(0);
    window.on_post(8 * MiB, false);
    const auto last = window.on_post(64 * KiB, true);
    CHECK_FALSE(last.must_wait);
    CHECK_FALSE(last.notify_sent);
}

TEST_CASE("a part waits only above the high-water mark queued ahead of it, and resumes at the low-water mark") {
    SendWindow window(SendWindow::high_water_bytes / 2);
    std::uint64_t posted = 0;
    int marks = 0;
    SendWindow::Decision decision;
    while (true) {  // 64 KiB pieces until one must wait
        decision = window.on_post(64 * KiB, false);
        if (decision.notify_sent) ++marks;
        if (decision.must_wait) break;
        posted += 64 * KiB;
    }
    CHECK(posted > SendWindow::high_water_bytes);
    CHECK(posted <= SendWindow::high_water_bytes + 64 * KiB);
    CHECK(decision.notify_sent);  // the waiting part carries a mark of its own
    CHECK_FALSE(window.may_go_on());
    // Marks are reported oldest first; the sender goes on once the queue ahead of it is at most 512 KiB.
    int reported = 0;
    bool went_on = false;
    while (reported < marks && !went_on) {
        went_on = window.on_sent();
        ++reported;
    }
    CHECK(went_on);
    CHECK(reported < marks);  // before the queue ran dry
}

TEST_CASE("with a low-water mark of zero the sender resumes once everything it posted is sent") {
    SendWindow window(0);
    int marks = 0;
    SendWindow::Decision decision;
    do {
        decision = window.on_post(64 * KiB, false);
        if (decision.notify_sent) ++marks;
    } while (!decision.must_wait);
    // Progress is known at marks only: the first one at or past the queue ahead is the waiting part's own.
    for (int reported = 1; reported < marks; ++reported) CHECK_FALSE(window.on_sent());
    CHECK(window.on_sent());
}

TEST_CASE("an on_sent without a mark changes nothing") {
    SendWindow window(0);
    CHECK(window.on_sent());
    window.on_post(2 * MiB, false);
    const auto waits = window.on_post(64 * KiB, false);
    REQUIRE(waits.must_wait);
    CHECK(window.on_sent());  // the 2 MiB part's mark: everything ahead of the waiting part is sent
    CHECK(window.on_sent());  // its own mark
    CHECK(window.on_sent());  // nothing left to answer
}
