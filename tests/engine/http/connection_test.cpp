// http::Connection driven with raw bytes under a fake host (fake_stream_host.hpp, connection_client.hpp):
// bytes go in through on_data, responses come out of the output queue, timers run on a fake clock.

#include "http/connection.hpp"

#include "connection_client.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace engine::test;
using engine::ExchangeId;
using engine::ResponsePart;
using engine::http::CONN_F_CLOSE_AFTER_OUTPUT;
using engine::http::CONN_F_LINGERING;
using engine::http::CONN_F_LOCAL_PEER;

namespace {

constexpr std::string_view get_a = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_b = "GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_c = "GET /c HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_d = "GET /d HTTP/1.1\r\nHost: example.test\r\n\r\n";
constexpr std::string_view get_close = "GET /a HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n";
constexpr std::string_view get_http10 = "GET /a HTTP/1.0\r\n\r\n";
constexpr std::string_view get_http10_keep_alive = "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
constexpr std::string_view post_length_head = "POST /upload HTTP/1.1\r\nHost: example.test\r\n"
                                              "Content-Length: 11\r\n\r\n";
constexpr std::string_view post_length = "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\n"
                                         "\r\nhello world";
constexpr std::string_view post_chunked = "POST /chunks HTTP/1.1\r\nHost: example.test\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
constexpr std::string_view post_continue = "POST /upload HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\n"
                                           "Content-Length: 11\r\n\r\n";
// An upgrade the server does not do: an ordinary request whose body must still arrive (uvicorn #2722).
constexpr std::string_view post_h2c_upgrade = "POST /up HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade\r\n"
                                              "Upgrade: h2c\r\nContent-Length: 5\r\n\r\nhello";

} // namespace

TEST_CASE("connection: a GET answered by the handler") {
    constexpr std::string_view expected = "HTTP/1.1 200 OK\r\n"
                                          "Content-Type: text/plain\r\n"
                                          "Date: *\r\n"
                                          "Server: uring_granian\r\n"
                                          "Content-Length: 2\r\n"
                                          "\r\n"
                                          "/a";
    SUBCASE("at once, inside on_request") {
        Client client;
        REQUIRE(client.send(get_a));
        CHECK(client.wire() == expected);
        REQUIRE(client.handler.exchanges.size() == 1);
        const Seen &seen = client.handler.exchanges[0];
        CHECK(seen.method == "GET");
        CHECK(seen.target == "/a");
        CHECK(seen.http_minor == 1);
        CHECK(seen.id == ExchangeId{0, 0, 1});
        CHECK(seen.peer.family == engine::Endpoint::Family::unix_path);  // getpeername on the socketpair
        CHECK(client.connection.has(CONN_F_LOCAL_PEER));
        CHECK(client.host.requests == 1);
        CHECK(client.handler.batch_ends >= 1);
        // Kept alive: still reading, nothing closing.
        CHECK(client.connection.has(engine::core::STREAM_F_READING));
        CHECK_FALSE(client.connection.has(CONN_F_CLOSE_AFTER_OUTPUT));
        CHECK(client.host.teardown_calls == 0);
        CHECK_FALSE(client.peer_sees_eof());
    }
    SUBCASE("later, through a posted part") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        CHECK(client.wire().empty());
        REQUIRE(client.handler.exchanges.size() == 1);
        CHECK(client.answer(client.handler.exchanges[0].id, response_for(client.handler.exchanges[0])));
        CHECK(client.wire() == expected);
        // The exchange is over: a second post for it is dropped.
        CHECK_FALSE(client.answer(client.handler.exchanges[0].id, engine::make_response(500, {}, "late")));
        CHECK(client.wire().empty());
    }
    SUBCASE("a part asking for on_sent is reported once its bytes are out") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        ResponsePart part = response_for(client.handler.exchanges[0]);
        part.notify_sent = true;
        client.answer(client.handler.exchanges[0].id, std::move(part));
        CHECK(client.wire() == expected);
        CHECK(client.handler.events == Events{"request /a", "sent /a"});
    }
}

TEST_CASE("connection: keep-alive serves requests one after another") {
    Client client;
    for (std::string_view request : {get_a, get_b, get_c}) {
        REQUIRE(client.send(request));
        const std::string target(request.substr(4, 2));
        CHECK(client.wire() == ok(target));
    }
    REQUIRE(client.handler.exchanges.size() == 3);
    // Each request is an exchange of its own on the same slot.
    CHECK(client.handler.exchanges[0].id.generation != client.handler.exchanges[1].id.generation);
    CHECK(client.handler.exchanges[1].id.generation != client.handler.exchanges[2].id.generation);
    CHECK(client.handler.exchanges[2].id.slot == 0);
    CHECK(client.host.teardown_calls == 0);
}

TEST_CASE("connection: pipelined requests") {
    const std::string three = std::string(get_a) + std::string(get_b) + std::string(get_c);
    SUBCASE("responses leave in request order") {
        Client client;
        REQUIRE(client.send(three));
        CHECK(client.wire() == ok("/a") + ok("/b") + ok("/c"));
        CHECK(client.handler.events == Events{"request /a", "request /b", "request /c"});
    }
    SUBCASE("the next request is dispatched only once the current response has ended") {
        Client client(test_config(), false);
        REQUIRE(client.send(three));
        REQUIRE(client.handler.exchanges.size() == 1);
        CHECK(client.wire().empty());

        ResponsePart head;
        head.head = engine::ResponseHead{200, "Content-Type: text/plain\r\n", 4, false};
        head.body = std::string("ab");
        client.answer(client.handler.exchanges[0].id, std::move(head));
        CHECK(client.handler.exchanges.size() == 1);  // the response has started, not ended
        ResponsePart rest;
        rest.body = std::string("cd");
        rest.end = true;
        client.answer(client.handler.exchanges[0].id, std::move(rest));
        REQUIRE(client.handler.exchanges.size() == 2);
        CHECK(client.handler.exchanges[1].target == "/b");
        CHECK(client.wire() == ok("abcd"));

        client.answer_ready();  // /b, which dispatches /c, which is answered too
        CHECK(client.handler.exchanges.size() == 3);
        CHECK(client.wire() == ok("/b") + ok("/c"));
        CHECK(client.host.teardown_calls == 0);
    }
    SUBCASE("a long queue of waiting requests stops reading until it has been worked off") {
        engine::ServerConfig config = test_config();
        config.recv_buffer_size = 16;  // waiting input is bounded at 4 x this (64 bytes)
        Client client(config, false);
        REQUIRE(client.send(three + std::string(get_d)));
        CHECK(client.host.stop_reading_calls == 1);
        CHECK_FALSE(client.connection.has(engine::core::STREAM_F_READING));
        CHECK_FALSE(client.send(get_a));  // the host does not deliver while reading is off
        CHECK(client.host.start_reading_calls == 0);
        client.answer_ready();
        CHECK(client.wire() == ok("/a") + ok("/b") + ok("/c") + ok("/d"));
        CHECK(client.host.stop_reading_calls == 1);
        CHECK(client.host.start_reading_calls == 1);
        CHECK(client.connection.has(engine::core::STREAM_F_READING));
    }
}

TEST_CASE("connection: the same bytes split anywhere give the same responses") {
    const std::string input = std::string(post_length) + std::string(get_b) + std::string(post_chunked);
    for (const bool at_once : {false, true}) {
        CAPTURE(at_once);
        // Answered at once, the bodies are read and discarded; answered later, they are echoed.
        const std::string expected = at_once ? ok("/upload") + ok("/b") + ok("/chunks")
                                             : ok("/upload hello world") + ok("/b") + ok("/chunks hello world");
        const Events expected_events = at_once ? Events{"request /upload", "request /b", "request /chunks"}
                                               : Events{"request /upload", "body-end /upload", "request /b",
                                                        "request /chunks", "body-end /chunks"};
        {
            Client whole(test_config(), at_once);
            REQUIRE(whole.send(input));
            whole.answer_ready();
            CHECK(whole.wire() == expected);
            CHECK(whole.handler.events == expected_events);
        }
        for (std::size_t split = 1; split < input.size(); ++split) {
            CAPTURE(split);
            Client client(test_config(), at_once);
            REQUIRE(client.send(std::string_view(input).substr(0, split)));
            client.answer_ready();
            REQUIRE(client.send(std::string_view(input).substr(split)));
            client.answer_ready();
            CHECK(client.wire() == expected);
            CHECK(client.handler.events == expected_events);
            CHECK(client.host.teardown_calls == 0);
        }
        {
            Client client(test_config(), at_once);
            for (const char byte : input) {
                REQUIRE(client.send(std::string_view(&byte, 1)));
                client.answer_ready();
            }
            CHECK(client.wire() == expected);
            CHECK(client.handler.events == expected_events);
        }
    }
}

TEST_CASE("connection: request bodies reach on_body") {
    Client client(test_config(), false);
    SUBCASE("Content-Length and chunked, whole") {
        for (const std::string_view request : {post_length, post_chunked}) {
            CAPTURE(request);
            Client each(test_config(), false);
            REQUIRE(each.send(request));
            REQUIRE(each.handler.exchanges.size() == 1);
            const Seen &seen = each.handler.exchanges[0];
            CHECK(seen.body == "hello world");
            CHECK(seen.body_ended);
            each.answer_ready();
            CHECK(each.wire() == ok(seen.target + " hello world"));
        }
    }
    SUBCASE("in pieces, the end marked once the declared length arrived") {
        REQUIRE(client.send(post_length_head));
        REQUIRE(client.handler.exchanges.size() == 1);
        REQUIRE(client.send("hello"));
        CHECK(client.handler.exchanges[0].body == "hello");
        CHECK_FALSE(client.handler.exchanges[0].body_ended);
        REQUIRE(client.send(" world"));
        CHECK(client.handler.exchanges[0].body == "hello world");
        CHECK(client.handler.events == Events{"request /upload", "body-end /upload"});
    }
    SUBCASE("a paused body waits for resume_body") {
        client.handler.body_flow = engine::BodyFlow::pause;
        REQUIRE(client.send(std::string(post_length_head) + "hello"));
        REQUIRE(client.send(" world"));
        CHECK(client.handler.exchanges[0].body == "hello");
        client.handler.body_flow = engine::BodyFlow::proceed;
        CHECK(client.resume_body(client.handler.exchanges[0].id));
        CHECK(client.handler.exchanges[0].body == "hello world");
        CHECK(client.handler.exchanges[0].body_ended);
    }
    SUBCASE("Expect: 100-continue gets the interim response first") {
        REQUIRE(client.send(post_continue));
        CHECK(client.wire() == "HTTP/1.1 100 Continue\r\n\r\n");
        REQUIRE(client.send("hello world"));
        client.answer_ready();
        CHECK(client.wire() == ok("/upload hello world"));
    }
    SUBCASE("an upgrade the server does not do is an ordinary request, body included") {
        REQUIRE(client.send(std::string(post_h2c_upgrade) + std::string(get_b)));
        REQUIRE(client.handler.exchanges.size() == 1);
        CHECK(client.handler.exchanges[0].body == "hello");
        client.answer_ready();
        CHECK(client.wire() == ok("/up hello") + ok("/b"));
    }
}

TEST_CASE("connection: a malformed request is answered with 400, then the connection closes") {
    const std::string_view inputs[] = {
        "GET /a HTTP/1.1\r\n\r\n",                                                     // no Host
        "GET /a HTTP/1.1\r\nHost: example.test\r\nNo colon here\r\n\r\n",             // bad field line
        "\x01\x02 nonsense\r\n\r\n",                                                   // no request line
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // ambiguous length
    };
    SUBCASE("alone: 400, the write side shut, input discarded until the client's FIN") {
        for (const std::string_view input : inputs) {
            CAPTURE(input);
            Client client;
            REQUIRE(client.send(input));
            CHECK(client.wire() == canned("400 Bad Request"));
            CHECK(client.handler.exchanges.empty());
            // Output drained: the write side is shut and the connection lingers, discarding input.
            CHECK(client.connection.has(CONN_F_CLOSE_AFTER_OUTPUT));
            CHECK(client.connection.has(CONN_F_LINGERING));
            CHECK(client.peer_sees_eof());
            CHECK(client.send(get_b));
            CHECK(client.wire().empty());
            CHECK(client.handler.exchanges.empty());
            CHECK(client.host.teardown_calls == 0);
            client.fin();
            CHECK(client.closed());
        }
    }
    SUBCASE("after a good pipelined request, which is still answered") {
        Client client;
        REQUIRE(client.send(std::string(get_a) + "GET /b HTTP/1.1\r\n\r\n"));
        CHECK(client.wire() == ok("/a") + canned("400 Bad Request"));
        CHECK(client.handler.events == Events{"request /a"});
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("a lingering connection the client never closes ends after the linger time") {
        Client client;
        REQUIRE(client.send(inputs[0]));
        REQUIRE(client.connection.has(CONN_F_LINGERING));
        client.host.advance(1999);
        CHECK(client.host.teardown_calls == 0);
        client.host.advance(1);
        CHECK(client.closed());
    }
}

TEST_CASE("connection: limits") {
    engine::ServerConfig config = test_config();
    config.limits.max_header_count = 3;
    config.limits.max_body_bytes = 10;
    SUBCASE("too many header fields: 431") {
        Client client(config);
        REQUIRE(client.send("GET /a HTTP/1.1\r\nHost: example.test\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"));
        CHECK(client.wire() == canned("431 Request Header Fields Too Large"));
        CHECK(client.handler.exchanges.empty());
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("as many header fields as allowed") {
        Client client(config);
        REQUIRE(client.send("GET /a HTTP/1.1\r\nHost: example.test\r\nA: 1\r\nB: 2\r\n\r\n"));
        CHECK(client.wire() == ok("/a"));
    }
    SUBCASE("a declared length over max_body_bytes: 413 before any dispatch") {
        Client client(config, false);
        REQUIRE(client.send("POST /a HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\n\r\nhello world"));
        CHECK(client.wire() == canned("413 Content Too Large"));
        CHECK(client.handler.exchanges.empty());
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("a declared length of max_body_bytes") {
        Client client(config, false);
        REQUIRE(client.send("POST /a HTTP/1.1\r\nHost: example.test\r\nContent-Length: 10\r\n\r\nhelloworld"));
        client.answer_ready();
        CHECK(client.wire() == ok("/a helloworld"));
    }
    SUBCASE("a chunked body growing over max_body_bytes: the exchange is aborted, then 413") {
        Client client(config, false);
        REQUIRE(client.send("POST /a HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"));
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.wire() == canned("413 Content Too Large"));
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
}

namespace {

/// One request answered, then the server starts draining with the connection idle between requests.
void drain_after_one_exchange(Client &client) {
    REQUIRE(client.send(get_a));
    client.wire();
    client.host.draining_flag = true;
    client.connection.begin_drain();
}

} // namespace

TEST_CASE("connection: when keep-alive ends") {
    SUBCASE("Connection: close, and what was pipelined behind it is never dispatched") {
        Client client;
        REQUIRE(client.send(std::string(get_close) + std::string(get_b)));
        CHECK(client.wire() == ok("/a", "Connection: close\r\n"));
        CHECK(client.handler.events == Events{"request /a"});
        CHECK(client.connection.has(CONN_F_LINGERING));
        CHECK(client.peer_sees_eof());
    }
    SUBCASE("HTTP/1.0 closes by default") {
        Client client;
        REQUIRE(client.send(get_http10));
        CHECK(client.handler.exchanges.at(0).http_minor == 0);
        CHECK(client.wire() == ok("/a", "Connection: close\r\n"));
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("HTTP/1.0 with Connection: keep-alive stays open") {
        Client client;
        REQUIRE(client.send(get_http10_keep_alive));
        CHECK(client.wire() == ok("/a", "Connection: keep-alive\r\n"));
        CHECK_FALSE(client.connection.has(CONN_F_CLOSE_AFTER_OUTPUT));
        REQUIRE(client.send(get_b));
        CHECK(client.wire() == ok("/b"));
    }
    SUBCASE("the server has keep-alive off") {
        engine::ServerConfig config = test_config();
        config.keep_alive = false;
        Client client(config);
        REQUIRE(client.send(get_a));
        CHECK(client.wire() == ok("/a", "Connection: close\r\n"));
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("the handler asks to close") {
        Client client(test_config(), false);
        REQUIRE(client.send(std::string(get_a) + std::string(get_b)));
        ResponsePart part = response_for(client.handler.exchanges.at(0));
        part.head->close = true;
        client.answer(client.handler.exchanges[0].id, std::move(part));
        CHECK(client.wire() == ok("/a", "Connection: close\r\n"));
        CHECK(client.handler.exchanges.size() == 1);
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("the server drains: an idle connection keeps reading for the grace, then half-closes") {
        Client client;
        drain_after_one_exchange(client);
        client.host.pump();
        client.host.advance(999);
        CHECK_FALSE(client.connection.has(CONN_F_LINGERING | engine::http::CONN_F_TEARDOWN));
        client.host.advance(1);
        CHECK(client.wire().empty());
        CHECK(client.connection.has(CONN_F_LINGERING));  // FIN sent; what arrives now is read, not reset
    }
    SUBCASE("the server drains: a request arriving on an idle connection within the grace is answered") {
        Client client;
        drain_after_one_exchange(client);
        client.host.advance(900);
        REQUIRE(client.send(get_b));
        CHECK(client.wire() == ok("/b", "Connection: close\r\n"));
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("the server drains: the idle grace is bounded by the graceful timeout") {
        engine::ServerConfig config = test_config();
        config.timeouts.graceful_shutdown = std::chrono::milliseconds(300);
        Client client(config);
        drain_after_one_exchange(client);
        client.host.advance(299);
        CHECK_FALSE(client.connection.has(CONN_F_LINGERING));
        client.host.advance(1);
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("the server drains: a request head begun in the grace gets the header-read time") {
        Client client;
        drain_after_one_exchange(client);
        client.host.advance(900);
        REQUIRE(client.send("GET /b HTTP/1.1\r\n"));
        client.host.advance(500);  // past the grace: the head is not cut
        REQUIRE(client.send("Host: x\r\n\r\n"));
        CHECK(client.wire() == ok("/b", "Connection: close\r\n"));
    }
    SUBCASE("the server drains: the exchange in progress finishes with Connection: close") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        client.host.draining_flag = true;
        client.connection.begin_drain();
        client.host.pump();
        CHECK(client.host.teardown_calls == 0);
        client.answer_ready();
        CHECK(client.wire() == ok("/a", "Connection: close\r\n"));
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("the server drains: an exchange never answered is cut after the shutdown timeout") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        client.host.draining_flag = true;
        client.connection.begin_drain();
        client.host.advance(2999);
        CHECK(client.host.teardown_calls == 0);
        client.host.advance(1);
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.closed());
    }
}

TEST_CASE("connection: the client's FIN") {
    SUBCASE("after a complete request: it is still answered, then the connection closes") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        client.fin();
        CHECK(client.host.teardown_calls == 0);
        client.answer_ready();
        CHECK(client.wire() == ok("/a"));
        CHECK(client.handler.events == Events{"request /a"});  // no abort
        CHECK(client.closed());
    }
    SUBCASE("after pipelined requests: every one is answered") {
        Client client(test_config(), false);
        REQUIRE(client.send(std::string(get_a) + std::string(get_b)));
        client.fin();
        client.answer(client.handler.exchanges[0].id, response_for(client.handler.exchanges[0]));
        CHECK_FALSE(client.closed());
        REQUIRE(client.handler.exchanges.size() == 2);
        client.answer(client.handler.exchanges[1].id, response_for(client.handler.exchanges[1]));
        CHECK(client.wire() == ok("/a") + ok("/b"));
        CHECK(client.closed());
    }
    SUBCASE("on an idle connection: closes at once") {
        Client client;
        REQUIRE(client.send(get_a));
        CHECK(client.wire() == ok("/a"));
        client.fin();
        CHECK(client.closed());
        CHECK(client.wire().empty());
    }
    SUBCASE("in the middle of a body: the exchange is aborted") {
        Client client(test_config(), false);
        REQUIRE(client.send(std::string(post_length_head) + "hello"));
        client.fin();
        CHECK(client.handler.events == Events{"request /upload", "abort /upload"});
        CHECK(client.handler.exchanges[0].body == "hello");
        CHECK(client.wire().empty());
        CHECK(client.closed());
    }
    SUBCASE("in the middle of a body already answered: the response still goes, no abort") {
        Client client;
        REQUIRE(client.send(std::string(post_length_head) + "hello"));
        client.fin();
        CHECK(client.wire() == ok("/upload"));
        CHECK(client.handler.events == Events{"request /upload"});
        CHECK(client.closed());
    }
    SUBCASE("in the middle of a head: nothing to answer") {
        Client client;
        REQUIRE(client.send("GET /a HTTP/1.1\r\nHo"));
        client.fin();
        CHECK(client.handler.exchanges.empty());
        CHECK(client.wire().empty());
        CHECK(client.closed());
    }
    SUBCASE("a read error aborts the exchange") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        client.host.read_error(client.connection);
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.closed());
        CHECK_FALSE(client.answer(client.handler.exchanges[0].id, response_for(client.handler.exchanges[0])));
        CHECK(client.wire().empty());
    }
}

TEST_CASE("connection: timeouts") {
    SUBCASE("a head that never completes gets 408") {
        Client client;
        REQUIRE(client.send("GET /a HTTP/1.1\r\nHost: exa"));
        client.host.advance(999);
        CHECK(client.wire().empty());
        client.host.advance(1);
        CHECK(client.wire() == canned("408 Request Timeout"));
        CHECK(client.handler.exchanges.empty());
        CHECK(client.connection.has(CONN_F_LINGERING));
        client.host.advance(2000);  // the lingering close ends too
        CHECK(client.closed());
    }
    SUBCASE("a connection that sends nothing is closed silently") {
        Client client;
        client.host.advance(999);
        CHECK(client.host.teardown_calls == 0);
        client.host.advance(1);
        CHECK(client.wire().empty());
        CHECK(client.closed());
    }
    SUBCASE("an idle keep-alive connection is closed silently") {
        Client client;
        REQUIRE(client.send(get_a));
        CHECK(client.wire() == ok("/a"));
        client.host.advance(499);
        CHECK(client.host.teardown_calls == 0);
        client.host.advance(1);
        CHECK(client.wire().empty());
        CHECK(client.closed());
    }
    SUBCASE("the first byte of the next request starts the head clock") {
        Client client;
        REQUIRE(client.send(get_a));
        client.host.advance(400);
        REQUIRE(client.send("GET /b HTTP/1.1\r\n"));
        client.host.advance(999);  // past the keep-alive idle deadline, short of the head's
        CHECK(client.host.teardown_calls == 0);
        CHECK(client.wire() == ok("/a"));
        client.host.advance(1);
        CHECK(client.wire() == canned("408 Request Timeout"));
    }
    SUBCASE("no timer runs while the handler works on a request") {
        Client client(test_config(), false);
        REQUIRE(client.send(get_a));
        client.host.advance(60'000);
        CHECK(client.host.teardown_calls == 0);
        CHECK(client.handler.events == Events{"request /a"});
        client.answer_ready();
        CHECK(client.wire() == ok("/a"));
    }
}

TEST_CASE("connection: response framing") {
    Client client(test_config(), false);
    REQUIRE(client.send(get_a));
    const ExchangeId id = client.handler.exchanges.at(0).id;
    ResponsePart head;
    head.head = engine::ResponseHead{200, "Content-Type: text/plain\r\n", std::nullopt, false};
    head.body = std::string("abc");
    constexpr std::string_view chunked_head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\n"
                                              "Server: uring_granian\r\nTransfer-Encoding: chunked\r\n\r\n";
    SUBCASE("no length: chunked, ended by the last chunk") {
        client.answer(id, std::move(head));
        CHECK(client.wire() == std::string(chunked_head) + "3\r\nabc\r\n");
        ResponsePart end;
        end.end = true;
        client.answer(id, std::move(end));
        CHECK(client.wire() == "0\r\n\r\n");
        REQUIRE(client.send(get_b));
        CHECK(client.handler.exchanges.size() == 2);
    }
    SUBCASE("a handler that gives up after the head: what it queued leaves, then the connection closes") {
        client.answer(id, std::move(head));
        engine::core::Command abort;
        abort.kind = engine::core::Command::Kind::abort;
        abort.id = id;
        client.connection.on_command(abort);
        client.host.pump();
        CHECK(client.wire() == std::string(chunked_head) + "3\r\nabc\r\n");  // no last chunk
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("a body over its Content-Length cuts the connection") {
        client.answer(id, engine::ResponsePart{engine::ResponseHead{200, {}, 2, false}, std::string("abc"), true});
        CHECK(client.wire().empty());
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.closed());
    }
    SUBCASE("a body short of its Content-Length: sent, then the connection closes") {
        client.answer(id, engine::ResponsePart{engine::ResponseHead{200, {}, 5, false}, std::string("abc"), true});
        CHECK(client.wire() == "HTTP/1.1 200 OK\r\nDate: *\r\nServer: uring_granian\r\nContent-Length: 5\r\n\r\nabc");
        CHECK(client.connection.has(CONN_F_LINGERING));
    }
    SUBCASE("a second head cuts the connection") {
        client.answer(id, std::move(head));
        client.wire();
        client.answer(id, engine::make_response(500, {}, "again"));
        CHECK(client.wire().empty());
        CHECK(client.handler.events == Events{"request /a", "abort /a"});
        CHECK(client.closed());
    }
    SUBCASE("HEAD: the length a GET would get, no body") {
        Client head_client;
        REQUIRE(head_client.send("HEAD /a HTTP/1.1\r\nHost: example.test\r\n\r\n" + std::string(get_b)));
        const std::string get_response = ok("/a");
        CHECK(head_client.wire() == get_response.substr(0, get_response.size() - 2) + ok("/b"));
    }
}

TEST_CASE("connection: a socket that takes the output in pieces") {
    Client client;
    client.host.socket_room = 10;
    REQUIRE(client.send(get_close));
    std::string sent = client.host.take_wire();
    CHECK(sent.size() == 10);
    CHECK(client.connection.has(engine::core::STREAM_F_SEND_IN_FLIGHT));
    // Closing waits for the output: no half-close, no teardown while bytes are queued.
    CHECK(client.connection.has(CONN_F_CLOSE_AFTER_OUTPUT));
    CHECK_FALSE(client.connection.has(CONN_F_LINGERING));
    client.fin();  // the client's FIN meanwhile
    CHECK(client.host.teardown_calls == 0);
    client.host.writable(client.connection, 25);
    sent += client.host.take_wire();
    CHECK(sent.size() == 35);
    CHECK(client.host.teardown_calls == 0);
    client.host.writable(client.connection);
    sent += client.host.take_wire();
    CHECK(without_dates(sent) == ok("/a", "Connection: close\r\n"));
    CHECK(client.closed());  // the client closed already: no lingering
}

// Regressions of three defects these tests found (fixed in connection.cpp).
TEST_CASE("connection: a FIN after a paused body has fully arrived still delivers the body") {
    // The client sends the whole body and shuts its write side (as simple clients do). The handler paused
    // after the first bytes, so the rest waits in the stash: the body is complete, only not delivered yet,
    // so the FIN must not abort the exchange.
    Client client(test_config(), false);
    client.handler.body_flow = engine::BodyFlow::pause;
    REQUIRE(client.send(std::string(post_length_head) + "hello"));
    REQUIRE(client.send(" world"));
    client.fin();
    CHECK(client.handler.events == Events{"request /upload"});  // no abort
    client.handler.body_flow = engine::BodyFlow::proceed;
    client.resume_body(client.handler.exchanges.at(0).id);
    CHECK(client.handler.exchanges.at(0).body == "hello world");
    client.answer_ready();
    CHECK(client.wire() == ok("/upload hello world"));
}

TEST_CASE("connection: a response that ends a paused body goes on with the pipelined requests") {
    // A response ended before the paused body was read: the stashed rest of the body is discarded and the
    // request behind it dispatched once the response is out, without waiting for bytes that may never come
    // (the client waits for its next response).
    Client client(test_config(), false);
    client.handler.body_flow = engine::BodyFlow::pause;
    REQUIRE(client.send(std::string(post_length_head) + "hello"));
    REQUIRE(client.send(" world" + std::string(get_b)));
    client.answer(client.handler.exchanges.at(0).id, response_for(client.handler.exchanges[0]));
    CHECK(client.wire() == ok("/upload hello"));
    CHECK(client.handler.exchanges.size() == 2);  // /b dispatched
}

TEST_CASE("connection: a complete response still leaves when the unread body turns out bad") {
    // Answered at once, the body is read and discarded. When its rest is malformed (or over the limit), the
    // complete response still in the output queue must leave before the close: only a response actually
    // cut short needs a teardown.
    engine::ServerConfig config = test_config();
    config.limits.max_body_bytes = 10;
    Client client(config);
    REQUIRE(client.send("POST /a HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"));
    CHECK(client.wire() == ok("/a"));
}

TEST_CASE("connection: CONNECT is answered with 405 and an empty Allow, then the connection closes") {
    Client client;
    const std::string connect = "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n";
    REQUIRE(client.send(std::string(connect).append(get_b)));
    // RFC 9110 15.5.6: a 405 carries Allow; a tunnel allows no method (10.2.1).
    const std::string plain = canned("405 Method Not Allowed");
    const std::size_t date = plain.find("Date: ");
    std::string expected;
    expected.append(plain, 0, date).append("Allow: \r\n").append(plain, date);
    CHECK(client.wire() == expected);
    CHECK(client.handler.exchanges.empty());
    CHECK(client.connection.has(CONN_F_CLOSE_AFTER_OUTPUT));
}
