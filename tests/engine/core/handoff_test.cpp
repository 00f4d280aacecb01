#include "engine/handoff.hpp"

#include <doctest/doctest.h>

#include <poll.h>

#include <string>
#include <thread>
#include <vector>

namespace {
bool readable(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) == 1;
}
} // namespace

TEST_CASE("doorbell: one eventfd write until the consumer answers") {
    engine::Doorbell doorbell(true);
    CHECK_FALSE(readable(doorbell.fd()));
    CHECK_FALSE(doorbell.rung());
    doorbell.ring();
    doorbell.ring();
    CHECK(doorbell.rung());
    REQUIRE(readable(doorbell.fd()));
    doorbell.read_counter();
    CHECK_FALSE(readable(doorbell.fd()));  // both rings were one write
    CHECK(doorbell.answer());
    CHECK_FALSE(doorbell.answer());
    SUBCASE("a ring after the answer wakes again") {
        doorbell.ring();
        CHECK(readable(doorbell.fd()));
    }
    SUBCASE("reading an unwritten nonblocking doorbell returns at once") {
        doorbell.read_counter();
        CHECK_FALSE(readable(doorbell.fd()));
    }
    SUBCASE("rung locally: the wake runs on the ringing thread, the eventfd stays quiet") {
        engine::Doorbell local(false);
        int wakes = 0;
        local.ring_locally([&] { ++wakes; });
        local.ring();
        local.ring();
        CHECK(wakes == 1);
        CHECK_FALSE(readable(local.fd()));
        local.answer();
        local.ring();
        CHECK(wakes == 2);
    }
}

TEST_CASE("handoff queue: takes append in posting order and trade vectors when empty") {
    engine::HandoffQueue<std::string> queue;
    std::vector<std::string> out;
    queue.post("a");
    queue.post("b");
    queue.take(out);
    CHECK(out == std::vector<std::string>{"a", "b"});
    queue.post("c");
    queue.post_unlocked("d");
    CHECK_FALSE(queue.empty_unlocked());
    queue.take_unlocked(out);
    CHECK(out == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(queue.empty_unlocked());
    queue.take(out);  // nothing posted: `out` is left as it is
    CHECK(out.size() == 4);

    SUBCASE("concurrent posters: every item arrives once") {
        constexpr int per_thread = 20000;
        std::vector<std::string> taken;
        std::thread first([&] {
            for (int i = 0; i < per_thread; ++i) queue.post("1");
        });
        std::thread second([&] {
            for (int i = 0; i < per_thread; ++i) queue.post("2");
        });
        while (taken.size() < 2u * per_thread) queue.take(taken);
        first.join();
        second.join();
        queue.take(taken);
        CHECK(taken.size() == 2u * per_thread);
    }
}
