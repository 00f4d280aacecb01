#pragma once
// An http::Connection on a FakeStreamHost, with a handler that records what it saw: the client side of
// connection_test.cpp. The connection holds one end of a Unix socketpair only so getpeername, shutdown
// and close succeed; no data ever passes through it (the other end is only checked for the EOF a
// shutdown leaves).

#include "core/inbox.hpp"
#include "fake_stream_host.hpp"
#include "http/connection.hpp"
#include "http/connection_factory.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace engine::test {

/// One exchange as the handler saw it.
struct Seen {
    ExchangeId id;
    std::string method;
    std::string target;
    std::uint8_t http_minor = 0;
    engine::Endpoint peer;
    bool has_body = false;
    std::string body;
    bool body_ended = false;
    bool answered = false;
};

/// The handler's answer: 200, text/plain, the target and the body received so far.
inline ResponsePart response_for(const Seen &seen) {
    return engine::make_response(200, "Content-Type: text/plain\r\n",
                                 seen.body.empty() ? seen.target : seen.target + " " + seen.body);
}

class RecordingHandler final : public engine::Handler {
  public:
    /// true: on_request answers at once through the Exchange. false: the test answers later, as an app on
    /// another thread does through Server::post (Client::answer).
    bool answer_at_once = true;
    engine::BodyFlow body_flow = engine::BodyFlow::proceed;
    std::vector<Seen> exchanges;
    std::vector<std::string> events;  ///< "request /a", "body-end /a", "abort /a", "sent /a", in order
    int batch_ends = 0;

    void on_request(engine::Exchange &exchange) override {
        const engine::Request &request = exchange.request();
        Seen seen;
        seen.id = exchange.id();
        seen.method = request.method;
        seen.target = request.target;
        seen.http_minor = request.http_minor;
        seen.peer = request.peer;
        seen.has_body = request.has_body();
        exchanges.push_back(seen);
        events.push_back("request " + seen.target);
        if (answer_at_once) {
            exchanges.back().answered = true;
            exchange.send(response_for(exchanges.back()));
        }
    }
    engine::BodyFlow on_body(ExchangeId id, std::string_view data, bool last) override {
        Seen &seen = find(id);
        seen.body.append(data);
        if (last) {
            seen.body_ended = true;
            events.push_back("body-end " + seen.target);
        }
        return body_flow;
    }
    void on_abort(ExchangeId id) override { events.push_back("abort " + find(id).target); }
    void on_sent(ExchangeId id) override { events.push_back("sent " + find(id).target); }
    void on_batch_end(std::uint32_t) override { ++batch_ends; }

  private:
    // Callbacks run inside the parser's C callbacks: a failure is recorded, never thrown through them.
    Seen &find(ExchangeId id) {
        for (auto it = exchanges.rbegin(); it != exchanges.rend(); ++it)
            if (it->id == id) return *it;
        FAIL_CHECK("a callback for an exchange never dispatched: generation " << id.generation);
        static Seen unknown;
        return unknown;
    }
};

/// The default settings, with a small send-buffer pool and short timeouts that are easy to step through.
inline engine::ServerConfig test_config() {
    using namespace std::chrono_literals;
    engine::ServerConfig config;
    config.send_buffer_count = 4;
    config.send_buffer_size = 4096;
    config.timeouts.header_read = 1000ms;
    config.timeouts.keep_alive_idle = 500ms;
    config.timeouts.graceful_shutdown = 3000ms;
    return config;
}

/// The Date value is the wall clock's: replaced by "*" after checking its shape (IMF-fixdate, 29 bytes).
inline std::string without_dates(std::string_view wire) {
    constexpr std::string_view field = "\r\nDate: ";
    std::string out;
    std::size_t copied = 0;
    for (std::size_t at = wire.find(field); at != std::string_view::npos; at = wire.find(field, at + 1)) {
        const std::size_t value = at + field.size();
        const std::string_view date = wire.substr(value, 31);
        CHECK_MESSAGE(date.ends_with(" GMT\r\n"), "Date: " << date);
        out.append(wire.substr(copied, value - copied)).append("*");
        copied = std::min(value + 29, wire.size());
    }
    return out.append(wire.substr(copied));
}

/// The bytes of response_for(): `connection` is the Connection line the head should carry, if any.
inline std::string ok(std::string_view body, std::string_view connection = {}) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nServer: uring_granian\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + std::string(connection) + "\r\n" + std::string(body);
}

/// A canned error response ("400 Bad Request"): text/plain, the reason as the body, Connection: close.
inline std::string canned(std::string_view status_line) {
    const std::string_view reason = status_line.substr(4);
    return "HTTP/1.1 " + std::string(status_line) +
           "\r\nContent-Type: text/plain; charset=utf-8\r\nDate: *\r\nServer: uring_granian\r\nContent-Length: " +
           std::to_string(reason.size() + 1) + "\r\nConnection: close\r\n\r\n" + std::string(reason) + "\n";
}

/// A Connection on a fake host, opened on one end of a socketpair.
struct Client {
    explicit Client(engine::ServerConfig config = test_config(), bool answer_at_once = true)
        : host(std::move(config), handler), connection(host, factory, 0) {
        handler.answer_at_once = answer_at_once;
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
        peer = fds[1];
        host.open(connection, fds[0], true);
    }
    ~Client() {
        if (connection.has(engine::core::STREAM_F_IN_USE)) connection.release();  // disarms the timer, closes
        ::close(peer);
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    bool send(std::string_view bytes) { return host.receive(connection, bytes); }
    void fin() { host.peer_closed(connection); }
    /// The response bytes since the last call, Date values replaced by "*".
    std::string wire() { return without_dates(host.take_wire()); }

    /// Delivers `part` the way Reactor::on_wake does a posted one: only to the exchange still live.
    bool answer(ExchangeId id, ResponsePart part) {
        engine::core::Command command;
        command.kind = engine::core::Command::Kind::response_part;
        command.id = id;
        command.part = std::move(part);
        return deliver(command);
    }
    bool resume_body(ExchangeId id) {
        engine::core::Command command;
        command.kind = engine::core::Command::Kind::resume_body;
        command.id = id;
        return deliver(command);
    }
    /// Answers, in order, every exchange whose request has fully arrived (an app that reads the whole body).
    void answer_ready() {
        for (std::size_t i = 0; i < handler.exchanges.size(); ++i) {
            Seen &seen = handler.exchanges[i];
            if (seen.answered || (seen.has_body && !seen.body_ended)) continue;
            seen.answered = true;
            // Answering may dispatch the next request and grow the vector: no reference is used after it.
            answer(seen.id, response_for(seen));
        }
    }

    /// The connection's write side was shut (or the socket closed): the peer reads EOF, no data.
    bool peer_sees_eof() const {
        char byte = 0;
        return ::recv(peer, &byte, 1, MSG_DONTWAIT) == 0;
    }
    /// Torn down and released exactly once; the socket is closed.
    bool closed() const { return host.teardown_calls == 1 && host.releases == 1 && connection.fd() < 0; }

    RecordingHandler handler;
    FakeStreamHost host;
    engine::http::ConnectionFactory factory{nullptr};
    engine::http::Connection connection;
    int peer = -1;

  private:
    bool deliver(engine::core::Command &command) {
        const bool live = connection.has(engine::core::STREAM_F_IN_USE) &&
                          !connection.has(engine::core::STREAM_F_TEARDOWN) && connection.matches(command.id);
        if (live) connection.on_command(command);
        else engine::core::release_command(command);
        host.pump();
        return live;
    }
};

using Events = std::vector<std::string>;

} // namespace engine::test
