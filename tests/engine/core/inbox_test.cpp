#include "core/inbox.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

using namespace engine::core;

namespace {
bool readable(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) == 1;
}
std::uint64_t read_counter(int fd) {
    std::uint64_t value = 0;
    REQUIRE(::read(fd, &value, sizeof value) == sizeof value);
    return value;
}
} // namespace

TEST_CASE("inbox: one wake per batch, nothing lost across threads") {
    Inbox inbox;
    std::vector<Command> drained;

    SUBCASE("a burst of posts writes the eventfd once") {
        for (std::uint32_t i = 0; i < 10; ++i) inbox.post(Command{Command::Kind::resume_body, {0, i, i}, {}});
        REQUIRE(readable(inbox.eventfd()));
        CHECK(read_counter(inbox.eventfd()) == 1);
        inbox.drain(drained);
        CHECK(drained.size() == 10);
        CHECK(drained[9].id.slot == 9);
        inbox.post(Command{Command::Kind::abort, {}, {}});
        CHECK(read_counter(inbox.eventfd()) == 1);  // the next batch wakes again
    }
    SUBCASE("concurrent producers: every command arrives") {
        constexpr std::uint32_t per_thread = 20000;
        std::thread first([&] {
            for (std::uint32_t i = 0; i < per_thread; ++i) inbox.post(Command{Command::Kind::resume_body, {0, 1, i}, {}});
        });
        std::thread second([&] {
            for (std::uint32_t i = 0; i < per_thread; ++i) inbox.post(Command{Command::Kind::resume_body, {0, 2, i}, {}});
        });
        std::size_t total = 0;
        while (total < 2 * per_thread) {
            inbox.drain(drained);
            total += drained.size();
        }
        first.join();
        second.join();
        inbox.drain(drained);
        CHECK(total + drained.size() == 2 * per_thread);
    }
}
