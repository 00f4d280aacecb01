// Server::start_inline (--runtime-mode st): the one reactor driven from the test thread the way the asyncio loop
// drives it (poll on poll_fd(), run_ready(), wants_run() and tick_ms() between runs), over real TCP connections,
// on both backends: a request, a response posted later from the same thread (the wake instead of the eventfd), a
// timer with no traffic, and a stop that drains through run_ready.
#include "engine/server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;

constexpr std::string_view get_root = "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_later = "GET /later HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view partial_head = "GET / HTTP/1.1\r\nHost: example.test\r\n";

/// "/" is answered at once; "/later" is kept, for the test to post its answer after the run.
class KeepingHandler final : public engine::Handler {
  public:
    void on_request(engine::Exchange &exchange) override {
        if (exchange.request().target == "/later") {
            kept = exchange.id();
            return;
        }
        exchange.send(engine::make_response(200, {}, "hello"));
    }
    std::optional<engine::ExchangeId> kept;
};

struct InlineServer {
    explicit InlineServer(engine::IoBackendKind backend, std::chrono::milliseconds header_read = 10s)
        : handler(std::make_shared<KeepingHandler>()) {
        engine::ServerConfig config;
        config.listen.port = 0;
        config.threads = 1;
        config.io_backend = backend;
        config.timeouts.header_read = header_read;
        server = std::make_unique<engine::Server>(config, handler);
        try {
            server->start_inline([this] { ++wakes; });
        } catch (const engine::StartupError &error) {
            failure = error.what();
        }
    }

    /// One turn of an event loop: wait for the fd (not at all when work is left; at most until the next
    /// timer), then run. Returns run_ready()'s answer.
    bool turn() {
        int wait_ms = server->wants_run() ? 0 : server->tick_ms();
        if (wait_ms < 0 || wait_ms > 50) wait_ms = 50;
        pollfd ready{server->poll_fd(), POLLIN, 0};
        ::poll(&ready, 1, wait_ms);
        return server->run_ready();
    }
    /// Turns until `done` (true) or ten seconds have passed (false).
    bool turn_until(const std::function<bool()> &done) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            turn();
        }
        return true;
    }

    int connect_client() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(server->bound_port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
        REQUIRE((rc == 0 || errno == EINPROGRESS));
        return fd;
    }

    std::shared_ptr<KeepingHandler> handler;
    std::unique_ptr<engine::Server> server;
    std::string failure;
    int wakes = 0;
};

/// Reads what is there into `into`; true once the peer closed.
bool read_available(int fd, std::string &into) {
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got > 0) {
            into.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        return got == 0;
    }
}

bool skipped(const InlineServer &fixture) {
    if (fixture.failure.empty()) return false;
    // io_uring refused (a container profile, the sysctl): the epoll case still runs.
    MESSAGE("skipped: " << fixture.failure);
    return true;
}

} // namespace

TEST_CASE("start_inline: serves on the calling thread, takes posts through the wake, stops through run_ready") {
    for (const engine::IoBackendKind backend : {engine::IoBackendKind::io_uring, engine::IoBackendKind::epoll}) {
        CAPTURE(engine::io_backend_name(backend));
        InlineServer fixture(backend);
        if (skipped(fixture)) continue;
        REQUIRE(fixture.server->inline_mode());
        CHECK(fixture.server->io_backend() == backend);
        CHECK(fixture.server->reactor_count() == 1);

        const int client = fixture.connect_client();
        // The request is written before the accept is even submitted: the first run submits it.
        REQUIRE(::send(client, get_root.data(), get_root.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get_root.size()));
        std::string received;
        REQUIRE(fixture.turn_until([&] {
            read_available(client, received);
            return received.find("hello") != std::string::npos;
        }));
        CHECK(received.starts_with("HTTP/1.1 200"));
        CHECK(fixture.wakes == 0);  // answered inside the run: nothing was posted

        // A response posted after the run, from this thread: one wake, and the next run sends it.
        REQUIRE(::send(client, get_later.data(), get_later.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(get_later.size()));
        REQUIRE(fixture.turn_until([&] { return fixture.handler->kept.has_value(); }));
        CHECK_FALSE(fixture.server->wants_run());
        fixture.server->post(*fixture.handler->kept, engine::make_response(200, {}, "later"));
        fixture.server->post(*fixture.handler->kept, engine::make_response(200, {}, "dropped"));
        CHECK(fixture.wakes == 1);  // the first post after a run wakes; the second finds it woken
        CHECK(fixture.server->wants_run());
        received.clear();
        REQUIRE(fixture.turn_until([&] {
            read_available(client, received);
            return received.find("later") != std::string::npos;
        }));

        // A graceful stop: the idle keep-alive connection is closed, then run_ready says the reactor is done.
        fixture.server->stop();
        CHECK(fixture.wakes == 2);
        bool running = true;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (running && std::chrono::steady_clock::now() < deadline) running = fixture.turn();
        CHECK_FALSE(running);
        CHECK_FALSE(fixture.server->run_ready());
        CHECK(fixture.server->tick_ms() == -1);
        fixture.server->wait();  // returns at once: the drain already ended
        CHECK(read_available(client, received));
        ::close(client);
    }
}

TEST_CASE("start_inline: tick_ms brings a run for a timer when no I/O happens") {
    for (const engine::IoBackendKind backend : {engine::IoBackendKind::io_uring, engine::IoBackendKind::epoll}) {
        CAPTURE(engine::io_backend_name(backend));
        InlineServer fixture(backend, 300ms);
        if (skipped(fixture)) continue;
        CHECK(fixture.server->tick_ms() == -1);  // nothing armed: the loop books no timer
        const int client = fixture.connect_client();
        REQUIRE(::send(client, partial_head.data(), partial_head.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(partial_head.size()));
        const auto started = std::chrono::steady_clock::now();
        std::string received;
        bool closed = false;
        bool timer_seen = false;
        REQUIRE(fixture.turn_until([&] {
            const int tick = fixture.server->tick_ms();
            if (tick > 0) {
                timer_seen = true;
                CHECK(tick <= 10'100);  // some armed deadline of the connection, rounded up to its 100 ms tick
                // With that run booked, a loop hears only of earlier deadlines, and none was armed since.
                CHECK(fixture.server->tick_ms(true) == -1);
            }
            closed = read_available(client, received);
            return closed;
        }));
        const auto elapsed = std::chrono::steady_clock::now() - started;
        CHECK(timer_seen);
        CHECK(elapsed >= 250ms);
        CHECK(elapsed < 5s);
        CHECK((received.empty() || received.starts_with("HTTP/1.1 408")));
        ::close(client);
    }
}

TEST_CASE("start_inline refuses more than one reactor, and a failed start leaves the server startable") {
    engine::ServerConfig config;
    config.listen.port = 0;
    config.threads = 2;
    config.io_backend = engine::IoBackendKind::epoll;
    engine::Server server(config, std::make_shared<KeepingHandler>());
    CHECK_THROWS_AS(server.start_inline([] {}), engine::StartupError);
    CHECK_FALSE(server.inline_mode());
    CHECK(server.reactor_count() == 0);
}
