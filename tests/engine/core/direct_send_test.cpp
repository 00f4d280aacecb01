// send_gathered and send_leading_files on a Unix socketpair, with a real Reactor (epoll backend, set up on
// the test thread, no listeners) as the host that consumes what the kernel took.
#include "core/direct_send.hpp"

#include "core/reactor.hpp"
#include "core/stream.hpp"
#include "pattern_file.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

using namespace engine::core;
using engine::test::pattern;
using engine::test::pattern_file;

namespace {

/// A stream that only holds an output queue and counts failures: what the senders touch.
class OutputOnlyStream final : public Stream {
  public:
    explicit OutputOnlyStream(StreamHost &host) : Stream(host, 0), output(host.send_buffers()) {}

    void on_open() override {}
    void on_data(std::string_view) override {}
    void on_peer_closed() override {}
    void on_read_error() override {}
    void on_send_error() override { ++send_errors; }
    void on_output_drained() override {}
    void on_timeout() override {}
    void on_command(Command &) override {}
    bool matches(const engine::ExchangeId &) const noexcept override { return false; }
    void begin_drain() override {}
    void on_teardown() override {}
    void release() override {}
    std::error_code prepare_output(std::vector<engine::ExchangeId> &) override { return {}; }
    OutputQueue &socket_output() noexcept override { return output; }

    OutputQueue output;
    int send_errors = 0;
};

class SentRecorder final : public engine::Handler {
  public:
    void on_request(engine::Exchange &) override {}
    void on_sent(engine::ExchangeId id) override { sent.push_back(id); }
    std::vector<engine::ExchangeId> sent;
};

engine::ServerConfig small_config() {
    engine::ServerConfig config;
    config.send_buffer_count = 4;
    config.send_buffer_size = 4096;
    return config;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

struct SendFixture {
    SendFixture() {
        REQUIRE(reactor.setup().empty());
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        stream.attach(fds[0], 0, true);
        peer = fds[1];
    }
    ~SendFixture() {
        stream.output.clear();
        ::close(stream.fd());
        if (peer >= 0) ::close(peer);
    }
    SendFixture(const SendFixture &) = delete;
    SendFixture &operator=(const SendFixture &) = delete;

    /// Everything the peer can read now.
    std::string read_peer() {
        std::string bytes;
        char buffer[65536];
        for (;;) {
            const ssize_t got = ::recv(peer, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got <= 0) break;
            bytes.append(buffer, static_cast<std::size_t>(got));
        }
        return bytes;
    }

    engine::ServerConfig config = small_config();
    SentRecorder handler;
    Reactor reactor{0, config, handler, {}, nullptr, engine::IoBackendKind::epoll};
    OutputOnlyStream stream{reactor};
    int peer = -1;
};

} // namespace

TEST_CASE("send_gathered: one sendmsg of the vectors OutputQueue::gather filled") {
    SendFixture fixture;
    OutputQueue &output = fixture.stream.output;
    output.append_copy("HTTP/1.1 200 OK\r\n\r\n");
    output.append_owned(std::string(5000, 'b'));
    output.append_copy("tail");
    std::size_t total = 0;
    const std::size_t count = output.gather(fixture.stream.vectors, 16, total);
    REQUIRE(count >= 2);

    SUBCASE("every gathered vector, in order") {
        CHECK(send_gathered(fixture.stream, count, 0) == static_cast<ssize_t>(total));
        CHECK(fixture.read_peer() == "HTTP/1.1 200 OK\r\n\r\n" + std::string(5000, 'b') + "tail");
    }
    SUBCASE("only the first `count` vectors") {
        const std::size_t first = fixture.stream.vectors[0].iov_len;
        CHECK(send_gathered(fixture.stream, 1, 0) == static_cast<ssize_t>(first));
        CHECK(fixture.read_peer() == std::string(static_cast<const char *>(fixture.stream.vectors[0].iov_base), first));
    }
    SUBCASE("a peer that is gone: EPIPE, and no SIGPIPE") {
        ::close(fixture.peer);
        fixture.peer = -1;
        CHECK(send_gathered(fixture.stream, count, 0) == -1);
        CHECK(errno == EPIPE);
    }
}

TEST_CASE("send_gathered never blocks, even on a blocking socket") {
    SendFixture fixture;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    // Without MSG_DONTWAIT a full socket would block for this long before failing.
    const timeval send_timeout{2, 0};
    REQUIRE(::setsockopt(fds[0], SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout) == 0);
    OutputOnlyStream blocking(fixture.reactor);
    blocking.attach(fds[0], 0, true);
    static char chunk[65536] = {};
    blocking.vectors[0] = iovec{chunk, sizeof chunk};
    const auto start = std::chrono::steady_clock::now();
    ssize_t sent = 0;
    int rounds = 0;
    while ((sent = send_gathered(blocking, 1, 0)) > 0 && rounds < 1000) ++rounds;
    const int error = errno;
    CHECK(sent == -1);
    CHECK(error == EAGAIN);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("send_leading_files: file regions at the front go out with sendfile") {
    SendFixture fixture;
    OutputQueue &output = fixture.stream.output;
    const int file = pattern_file(200'000);

    SUBCASE("a region that fits: sent whole, consumed, its descriptor closed") {
        output.append_file(engine::FileRegion{file, 1000, 4000});
        CHECK(send_leading_files(fixture.reactor, fixture.stream) == FileSendResult::done);
        CHECK(output.empty());
        CHECK_FALSE(is_open(file));
        CHECK(fixture.read_peer() == pattern(1000, 4000));
    }
    SUBCASE("files back to back, then memory, which stays for sendmsg") {
        const int second = ::dup(file);
        output.append_file(engine::FileRegion{file, 0, 100});
        output.append_file(engine::FileRegion{second, 500, 50});
        output.append_copy("after");
        CHECK(send_leading_files(fixture.reactor, fixture.stream) == FileSendResult::done);
        CHECK(fixture.read_peer() == pattern(0, 100) + pattern(500, 50));
        REQUIRE_FALSE(output.empty());
        CHECK_FALSE(output.front_is_file());
        CHECK(output.queued_bytes() == 5);
    }
    SUBCASE("nothing to do in front of memory") {
        output.append_copy("head");
        output.append_file(engine::FileRegion{file, 0, 10});
        CHECK(send_leading_files(fixture.reactor, fixture.stream) == FileSendResult::done);
        CHECK(fixture.read_peer().empty());
        CHECK(output.queued_bytes() == 14);
    }
    SUBCASE("a full socket: the rest waits at the front, and resumes where it stopped") {
        const int small = 4096;
        REQUIRE(::setsockopt(fixture.stream.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
        output.append_file(engine::FileRegion{file, 0, 200'000});
        CHECK(send_leading_files(fixture.reactor, fixture.stream) == FileSendResult::socket_full);
        REQUIRE(output.front_is_file());
        std::string received = fixture.read_peer();
        CHECK(output.front().file.offset == received.size());
        CHECK(output.front().file.length == 200'000 - received.size());
        FileSendResult result = FileSendResult::socket_full;
        for (int round = 0; round < 10'000 && result == FileSendResult::socket_full; ++round) {
            result = send_leading_files(fixture.reactor, fixture.stream);
            received += fixture.read_peer();
        }
        CHECK(result == FileSendResult::done);
        CHECK(received == pattern(0, 200'000));
        CHECK(output.empty());
    }
    SUBCASE("a file shorter than its region fails the stream") {
        output.append_file(engine::FileRegion{file, 199'000, 5000});
        FileSendResult result = FileSendResult::socket_full;
        for (int round = 0; round < 10 && result == FileSendResult::socket_full; ++round)
            result = send_leading_files(fixture.reactor, fixture.stream);
        CHECK(result == FileSendResult::failed);
        CHECK(fixture.stream.send_errors == 1);
        CHECK(fixture.read_peer() == pattern(199'000, 1000));
    }
    SUBCASE("a notification riding on the file is delivered by the reactor once it has gone") {
        output.append_file(engine::FileRegion{file, 0, 10});
        REQUIRE(output.notify_when_sent(engine::ExchangeId{0, 0, 42}));
        CHECK(send_leading_files(fixture.reactor, fixture.stream) == FileSendResult::done);
        CHECK(fixture.handler.sent.empty());  // due after the batch, not inside the send
        fixture.reactor.run_once(false);
        REQUIRE(fixture.handler.sent.size() == 1);
        CHECK(fixture.handler.sent[0] == engine::ExchangeId{0, 0, 42});
    }
}
