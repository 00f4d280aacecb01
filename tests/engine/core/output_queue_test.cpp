#include "core/output_queue.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace engine::core;

namespace {

struct ReleaseCounter final : engine::BufferLender {
    int released = 0;
    void release(void *) noexcept override { ++released; }
};

std::string gathered(const OutputQueue &queue) {
    iovec vectors[16];
    std::size_t total = 0;
    const std::size_t count = queue.gather(vectors, 16, total);
    std::string bytes;
    for (std::size_t i = 0; i < count; ++i) bytes.append(static_cast<const char *>(vectors[i].iov_base), vectors[i].iov_len);
    CHECK(bytes.size() == total);
    return bytes;
}

} // namespace

TEST_CASE("output queue: staging, external buffers, partial sends") {
    SendBufferPool pool;
    pool.init(nullptr, 4, 64);  // no ring: unregistered, which the queue must not care about
    std::vector<engine::ExchangeId> sent;

    SUBCASE("small copies share one pooled buffer") {
        OutputQueue queue(pool);
        queue.append_copy("HTTP/1.1 200 OK\r\n");
        queue.append_copy("\r\n");
        CHECK(pool.available() == 3);
        CHECK(gathered(queue) == "HTTP/1.1 200 OK\r\n\r\n");
        queue.consume(queue.queued_bytes(), false, sent);
        CHECK(queue.empty());
        CHECK(pool.available() == 4);
    }
    SUBCASE("a short send resumes where the kernel stopped") {
        OutputQueue queue(pool);
        queue.append_copy("abcdef");
        queue.consume(2, false, sent);
        CHECK(gathered(queue) == "cdef");
        queue.append_copy("gh");  // appends behind an in-flight range are safe in a pooled buffer
        CHECK(gathered(queue) == "cdefgh");
        queue.consume(6, false, sent);
        CHECK(queue.empty());
    }
    SUBCASE("external buffers are not copied and are released exactly once") {
        ReleaseCounter counter;
        static const char body[] = "large body bytes";
        OutputQueue queue(pool);
        queue.append_copy("head:");
        queue.append_external(engine::ExternalBuffer{body, sizeof body - 1, &counter, nullptr});
        iovec vectors[16];
        std::size_t total = 0;
        REQUIRE(queue.gather(vectors, 16, total) == 2);
        CHECK(vectors[1].iov_base == body);
        queue.consume(7, false, sent);
        CHECK(counter.released == 0);
        queue.consume(total - 7, false, sent);
        CHECK(counter.released == 1);
    }
    SUBCASE("lent slices are sent uncopied and their storage retained until the last of them has gone") {
        ReleaseCounter counter;
        static const char body[] = "0123456789";
        OutputQueue queue(pool);
        queue.append_copy("h1");
        queue.append_lent(std::string_view(body, 4));
        queue.append_copy("h2");
        queue.append_lent(std::string_view(body + 4, 6));
        queue.append_retained(engine::ExternalBuffer{body, 10, &counter, nullptr});
        CHECK(queue.queued_bytes() == 14);  // the retained storage adds no bytes
        iovec vectors[16];
        std::size_t total = 0;
        REQUIRE(queue.gather(vectors, 16, total) == 4);
        CHECK(vectors[1].iov_base == body);
        CHECK(vectors[3].iov_base == body + 4);
        CHECK(gathered(queue) == "h10123h2456789");
        queue.consume(13, false, sent);
        CHECK(counter.released == 0);  // one lent byte is still unsent
        queue.consume(1, false, sent);
        CHECK(counter.released == 1);
        CHECK(queue.empty());
    }
    SUBCASE("retained strings outlive a zero-copy send, and storage retained after everything left goes at once") {
        OutputQueue queue(pool);
        std::string storage(4096, 'z');
        const char *bytes = storage.data();
        queue.append_lent(std::string_view(storage).substr(0, 100));
        queue.append_retained(std::move(storage));
        queue.consume(100, true, sent);
        CHECK(queue.empty());
        queue.release_held();

        ReleaseCounter counter;
        queue.append_retained(engine::ExternalBuffer{bytes, 1, &counter, nullptr});
        CHECK(counter.released == 1);
        CHECK(queue.empty());
    }
    SUBCASE("zero-copy sends hold memory until the notification") {
        ReleaseCounter counter;
        static const char body[] = "zero copy";
        OutputQueue queue(pool);
        queue.append_external(engine::ExternalBuffer{body, sizeof body - 1, &counter, nullptr});
        queue.consume(sizeof body - 1, true, sent);
        CHECK(queue.empty());
        CHECK(counter.released == 0);
        queue.release_held();
        CHECK(counter.released == 1);
    }
    SUBCASE("notifications fire when everything queued before them has gone") {
        OutputQueue queue(pool);
        CHECK_FALSE(queue.notify_when_sent({0, 1, 9}));  // nothing queued: the caller notifies at once
        queue.append_copy("first");
        CHECK(queue.notify_when_sent({0, 1, 10}));
        queue.append_copy("second");
        queue.consume(3, false, sent);
        CHECK(sent.empty());
        queue.consume(2, false, sent);
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].generation == 10);
    }
    SUBCASE("a dry pool falls back to owned memory") {
        OutputQueue queue(pool);
        for (int i = 0; i < 4; ++i) {
            queue.append_copy(std::string(60, 'x'));
        }
        CHECK(pool.available() == 0);
        queue.append_copy(std::string(60, 'y'));
        CHECK(gathered(queue).size() == 300);
        queue.clear();
        CHECK(pool.available() == 4);
    }
    SUBCASE("order survives wrap-around, and bytes a send points at stay put while the queue grows") {
        OutputQueue queue(pool);
        // Slide the queue through its storage many times: one segment in, one out.
        for (int round = 0; round < 50; ++round) {
            queue.append_owned(std::string(1, static_cast<char>('a' + round % 26)));
            queue.append_owned(std::string(1, static_cast<char>('A' + round % 26)));
            queue.consume(1, false, sent);
            CHECK(gathered(queue) == std::string(1, static_cast<char>('A' + round % 26)));
            queue.consume(1, false, sent);
            CHECK(queue.empty());
        }
        // A short owned string (small enough for SSO) is in flight; then many segments arrive.
        queue.append_owned(std::string("in flight"));
        iovec first[1];
        std::size_t total = 0;
        REQUIRE(queue.gather(first, 1, total) == 1);
        for (int i = 0; i < 40; ++i) queue.append_owned(std::string(1, static_cast<char>('0' + i % 10)));
        CHECK(std::string(static_cast<const char *>(first[0].iov_base), first[0].iov_len) == "in flight");
        CHECK(gathered(queue).substr(0, 12) == "in flight012");
        queue.consume(9 + 5, false, sent);
        CHECK(queue.queued_bytes() == 35);
        CHECK(gathered(queue) == "5678901234567890");  // gathered() takes at most 16 segments
        queue.clear();
        CHECK(queue.empty());
    }
    SUBCASE("file regions stop gathering and close their descriptor when done") {
        int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        OutputQueue queue(pool);
        queue.append_copy("head");
        queue.append_file(engine::FileRegion{fd, 0, 100});
        CHECK(gathered(queue) == "head");
        queue.consume(4, false, sent);
        REQUIRE(queue.front_is_file());
        queue.consume_file(60, sent);
        CHECK(queue.front().file.offset == 60);
        queue.consume_file(40, sent);
        CHECK(queue.empty());
        CHECK(::fcntl(fd, F_GETFD) == -1);  // closed
    }
}
