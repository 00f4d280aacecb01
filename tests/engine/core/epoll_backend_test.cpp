// The epoll backend: its event tags, and one Reactor on it driven from the test thread (setup() and
// run_once(), as another event loop would) with a Unix listener and real HTTP connections, to check the
// edge-triggered reads, sends that meet a full socket, files, the client's FIN and the drain.
#include "core/epoll_backend.hpp"

#include "core/reactor.hpp"
#include "http/connection_factory.hpp"
#include "pattern_file.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>

using namespace engine::core;

TEST_CASE("epoll tags round-trip kind, index and the low 24 bits of the generation") {
    for (const EpollTag::Kind kind : {EpollTag::Kind::stream, EpollTag::Kind::listener, EpollTag::Kind::wake}) {
        for (const std::uint32_t index : {0u, 1u, 4095u, 0x7fffffffu, 0xffffffffu}) {
            for (const std::uint32_t generation : {0u, 1u, 0xfffffeu, 0xffffffu}) {
                CAPTURE(static_cast<int>(kind));
                CAPTURE(index);
                CAPTURE(generation);
                const EpollTag decoded = decode_epoll_tag(encode_epoll_tag({kind, index, generation}));
                CHECK(decoded.kind == kind);
                CHECK(decoded.index == index);
                CHECK(decoded.generation == generation);
            }
        }
    }
    SUBCASE("generations wrap at 24 bits, the way Reactor::stream_at compares them") {
        CHECK(decode_epoll_tag(encode_epoll_tag({EpollTag::Kind::stream, 7, 0x1000000u})).generation == 0);
        CHECK(decode_epoll_tag(encode_epoll_tag({EpollTag::Kind::stream, 7, 0x1000001u})).generation == 1);
        const EpollTag high = decode_epoll_tag(encode_epoll_tag({EpollTag::Kind::stream, 0xffffffffu, 0xffffffffu}));
        CHECK(high.generation == 0xffffffu);
        CHECK(high.index == 0xffffffffu);
        CHECK(high.kind == EpollTag::Kind::stream);  // the generation's high bits do not reach the kind
    }
    SUBCASE("the same slot in another generation or as another kind is another tag") {
        CHECK(encode_epoll_tag({EpollTag::Kind::stream, 5, 1}) != encode_epoll_tag({EpollTag::Kind::stream, 5, 2}));
        CHECK(encode_epoll_tag({EpollTag::Kind::stream, 5, 0}) != encode_epoll_tag({EpollTag::Kind::listener, 5, 0}));
        CHECK(encode_epoll_tag({EpollTag::Kind::stream, 5, 0}) != encode_epoll_tag({EpollTag::Kind::stream, 6, 0}));
    }
    // Usable where the backend needs it at compile time.
    static_assert(decode_epoll_tag(encode_epoll_tag({EpollTag::Kind::wake, 3, 9})).generation == 9);
}

namespace {

constexpr std::string_view get_root = "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_big = "GET /big HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_file = "GET /file HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::size_t big_size = 4 * 1024 * 1024;
constexpr std::size_t file_size = 300'000;

/// "/" answers "root", "/big" 4 MiB of 'x', "/file" a file region of pattern bytes.
class AnsweringHandler final : public engine::Handler {
  public:
    explicit AnsweringHandler(int file) : file_(file) {}
    void on_request(engine::Exchange &exchange) override {
        const std::string_view target = exchange.request().target;
        if (target == "/big") {
            exchange.send(engine::make_response(200, {}, std::string(big_size, 'x')));
        } else if (target == "/file") {
            engine::ResponsePart part;
            part.head = engine::ResponseHead{200, {}, file_size, false};
            part.body = engine::FileRegion{::dup(file_), 0, file_size};
            part.end = true;
            exchange.send(std::move(part));
        } else {
            exchange.send(engine::make_response(200, {}, "root"));
        }
    }
    void on_abort(engine::ExchangeId) override { ++aborts; }
    int aborts = 0;

  private:
    int file_;
};

/// A listening Unix socket in the abstract namespace (no file to clean up), named after this process.
sockaddr_un listen_address() {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string name = "uring-granian-epoll-test-" + std::to_string(::getpid());
    std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
    return address;
}

struct EpollReactor {
    EpollReactor() : file(engine::test::pattern_file(file_size)), handler(file) {
        config.send_buffer_count = 4;
        config.send_buffer_size = 4096;
        const sockaddr_un address = listen_address();
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        listener = fd;
        ListenSocket socket;
        socket.fd = fd;
        socket.is_unix = true;
        socket.description = "unix:@test";
        std::vector<ListenSocket> sockets{socket};
        reactor = std::make_unique<Reactor>(0, config, handler, std::move(sockets),
                                            std::make_unique<engine::http::ConnectionFactory>(nullptr),
                                            engine::IoBackendKind::epoll);
        REQUIRE(reactor->setup().empty());
    }
    ~EpollReactor() {
        reactor.reset();
        ::close(listener);
        ::close(file);
    }
    EpollReactor(const EpollReactor &) = delete;
    EpollReactor &operator=(const EpollReactor &) = delete;

    int connect_client() {
        const sockaddr_un address = listen_address();
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        REQUIRE(::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0);
        return fd;
    }
    /// Runs the reactor (waiting on its poll_fd between rounds) until `done`, for ten seconds at most.
    bool run_until(const std::function<bool()> &done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            pollfd ready{reactor->poll_fd(), POLLIN, 0};
            ::poll(&ready, 1, 5);
            if (!reactor->run_once(false)) return done();
        }
        return true;
    }
    /// Reads what `client` has into `into` while the reactor runs, until it holds `size` bytes or EOF.
    bool receive(int client, std::string &into, std::size_t size, bool *eof = nullptr) {
        return run_until([&] {
            char buffer[65536];
            for (;;) {
                const ssize_t got = ::recv(client, buffer, sizeof buffer, MSG_DONTWAIT);
                if (got > 0) {
                    into.append(buffer, static_cast<std::size_t>(got));
                    continue;
                }
                if (got == 0 && eof) *eof = true;
                break;
            }
            return into.size() >= size || (eof && *eof);
        });
    }

    engine::ServerConfig config;
    int file;
    AnsweringHandler handler;
    int listener = -1;
    std::unique_ptr<Reactor> reactor;
};

/// The response head the engine writes for `body_size` bytes (the Date is the wall clock's).
std::size_t head_size(std::size_t body_size) {
    return std::string_view("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: uring_granian\r\n"
                            "Content-Length: \r\n\r\n")
               .size() +
           std::to_string(body_size).size();
}

} // namespace

TEST_CASE("epoll backend: a reactor set up on the test thread serves HTTP over a Unix socket") {
    EpollReactor server;
    const int client = server.connect_client();
    REQUIRE(::send(client, get_root.data(), get_root.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get_root.size()));
    std::string response;

    SUBCASE("a request, then another on the same connection") {
        REQUIRE(server.receive(client, response, head_size(4) + 4));
        CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(response.ends_with("\r\n\r\nroot"));
        CHECK(server.reactor->stats().connections_accepted == 1);
        response.clear();
        REQUIRE(::send(client, get_root.data(), get_root.size(), MSG_NOSIGNAL) > 0);
        REQUIRE(server.receive(client, response, head_size(4) + 4));
        CHECK(response.ends_with("\r\n\r\nroot"));
        CHECK(server.reactor->stats().requests == 2);
    }
    SUBCASE("pipelined requests and the client's FIN: answered, then closed and the slot freed") {
        REQUIRE(::send(client, get_root.data(), get_root.size(), MSG_NOSIGNAL) > 0);
        ::shutdown(client, SHUT_WR);
        bool eof = false;
        REQUIRE(server.receive(client, response, SIZE_MAX, &eof));
        CHECK(eof);
        CHECK(response.size() == 2 * (head_size(4) + 4));
        CHECK(server.run_until([&] { return server.reactor->stats().connections_open == 0; }));
        CHECK(server.handler.aborts == 0);
    }
    SUBCASE("a body larger than the socket buffer: the send resumes on EPOLLOUT") {
        REQUIRE(server.receive(client, response, head_size(4) + 4));
        response.clear();
        REQUIRE(::send(client, get_big.data(), get_big.size(), MSG_NOSIGNAL) > 0);
        REQUIRE(server.receive(client, response, head_size(big_size) + big_size));
        CHECK(response.size() == head_size(big_size) + big_size);
        CHECK(response.substr(head_size(big_size)) == std::string(big_size, 'x'));
    }
    SUBCASE("a file body goes out with sendfile") {
        REQUIRE(server.receive(client, response, head_size(4) + 4));
        response.clear();
        REQUIRE(::send(client, get_file.data(), get_file.size(), MSG_NOSIGNAL) > 0);
        REQUIRE(server.receive(client, response, head_size(file_size) + file_size));
        CHECK(response.substr(head_size(file_size)) == engine::test::pattern(0, file_size));
    }
    SUBCASE("a drain posted through the inbox wakes the loop and ends it once the connection is gone") {
        REQUIRE(server.receive(client, response, head_size(4) + 4));
        Command stop;
        stop.kind = Command::Kind::stop;
        server.reactor->inbox().post(std::move(stop));
        pollfd ready{server.reactor->poll_fd(), POLLIN, 0};
        CHECK(::poll(&ready, 1, 1000) == 1);  // the inbox's eventfd is in the epoll set
        CHECK(server.reactor->run_once(false));  // the drain begins; the idle connection stays open
        // Idle: still read during the drain's grace, so a request sent now is answered, with Connection: close.
        response.clear();
        REQUIRE(::send(client, get_root.data(), get_root.size(), MSG_NOSIGNAL) > 0);
        bool eof = false;
        CHECK(server.receive(client, response, SIZE_MAX, &eof));
        CHECK(eof);
        CHECK(response.find("\r\nConnection: close\r\n") != std::string::npos);
        CHECK(response.ends_with("\r\n\r\nroot"));
        ::shutdown(client, SHUT_WR);  // the client's close ends the lingering half-close, and with it the loop
        CHECK(server.run_until([&] { return server.reactor->stats().connections_open == 0; }));
        CHECK_FALSE(server.reactor->run_once(false));
    }
    ::close(client);
}

TEST_CASE("epoll backend: the drain accepts a queued connection, closes the listener, and serves the connection") {
    EpollReactor server;
    Command stop;
    stop.kind = Command::Kind::stop;
    server.reactor->inbox().post(std::move(stop));
    // Queued after the stop was posted: epoll reports the inbox first, so the drain (not the listener's event)
    // is what accepts it.
    const int queued = server.connect_client();
    pollfd ready{server.reactor->poll_fd(), POLLIN, 0};
    REQUIRE(::poll(&ready, 1, 1000) == 1);
    REQUIRE(server.reactor->run_once(false));  // the drain: what is queued is accepted, then the listener closed
    CHECK(server.reactor->stats().connections_accepted == 1);
    server.listener = -1;  // closed by the drain

    // A new connection is refused at once, not queued for nobody.
    const sockaddr_un address = listen_address();
    const int late = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(late >= 0);
    CHECK(::connect(late, reinterpret_cast<const sockaddr *>(&address), sizeof address) < 0);
    CHECK(errno == ECONNREFUSED);
    ::close(late);

    // The request comes after the accept: only a connection the backend watches sees it arrive (the drain's
    // accepts once skipped the epoll registration, and such a connection was closed unanswered after the grace).
    REQUIRE(::send(queued, get_root.data(), get_root.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get_root.size()));
    std::string response;
    bool eof = false;
    CHECK(server.receive(queued, response, SIZE_MAX, &eof));
    CHECK(eof);
    CHECK(response.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(response.ends_with("\r\n\r\nroot"));
    ::shutdown(queued, SHUT_WR);
    CHECK(server.run_until([&] { return server.reactor->stats().connections_open == 0; }));
    ::close(queued);
}
