#include "ws/session.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client_frames.hpp"

using engine::ws::Opcode;
using engine::ws::PingAction;
using engine::ws::PingDecision;
using engine::ws::SessionEvent;
using engine::ws::SessionEventKind;
using engine::ws::SessionOptions;
using engine::ws::SessionState;
using engine::ws::WebSocketSession;
using namespace ws_test;

namespace {

// What the server is expected to write (unmasked).
constexpr std::string_view pong_hello = "\x8a\x05Hello";
constexpr std::string_view empty_pong("\x8a\x00", 2);
constexpr std::string_view empty_ping("\x89\x00", 2);
constexpr std::string_view close_1000 = "\x88\x02\x03\xe8";
constexpr std::string_view close_1001_bye = "\x88\x05\x03\xe9" "bye";
constexpr std::string_view close_1002 = "\x88\x02\x03\xea";
constexpr std::string_view close_1007 = "\x88\x02\x03\xef";
constexpr std::string_view close_1009 = "\x88\x02\x03\xf1";
constexpr std::string_view close_4000 = "\x88\x02\x0f\xa0";
constexpr std::string_view empty_close("\x88\x00", 2);
constexpr std::string_view text_hi = "\x81\x02hi";

struct Collected {
    std::vector<std::string> messages;  // "text:..." / "binary:..."
    std::vector<std::string> closes;    // "code:reason"
};

/// Feeds `bytes` in chunks of `chunk_size`, draining events; copies what they point to.
Collected feed(WebSocketSession &session, std::string_view bytes, std::size_t chunk_size = 1 << 20,
               std::int64_t now_ms = 0) {
    Collected collected;
    for (std::size_t at = 0; at < bytes.size(); at += chunk_size) {
        std::string chunk(bytes.substr(at, chunk_size));
        std::span<char> input(chunk.data(), chunk.size());
        for (;;) {
            const SessionEvent event = session.receive(input, now_ms);
            if (event.kind == SessionEventKind::need_more) break;
            if (event.kind == SessionEventKind::message)
                collected.messages.push_back((event.opcode == Opcode::text ? "text:" : "binary:") +
                                             std::string(event.payload));
            else
                collected.closes.push_back(std::to_string(event.close_code) + ":" + std::string(event.close_reason));
        }
    }
    return collected;
}

std::string take_output(WebSocketSession &session) {
    std::string out(session.pending_output());
    session.consume_output(out.size());
    return out;
}

using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("messages come out whole, however the bytes are split") {
    const std::string stream = client_frame(fin | text_start, "Hello") + client_frame(binary_start, "ab") +
                               client_frame(fin | ping_op, "") + client_frame(fin | continuation, "cd");
    for (std::size_t chunk_size : {1, 2, 5, 100}) {
        CAPTURE(chunk_size);
        WebSocketSession session({}, 0);
        const auto collected = feed(session, stream, chunk_size);
        CHECK(collected.messages == Strings{"text:Hello", "binary:abcd"});
        CHECK(collected.closes.empty());
        CHECK(take_output(session) == empty_pong);  // the ping between fragments is answered
        CHECK(session.state() == SessionState::open);
    }
}

TEST_CASE("a message whole in the input is handed over without a copy") {
    WebSocketSession session({}, 0);
    std::string bytes = client_frame(fin | binary_start, "zero-copy");
    std::span<char> input(bytes.data(), bytes.size());
    const SessionEvent event = session.receive(input, 0);
    REQUIRE(event.kind == SessionEventKind::message);
    CHECK(event.payload == "zero-copy");
    CHECK(event.payload.data() == bytes.data() + 6);
}

TEST_CASE("pings are answered with the same payload") {
    WebSocketSession session({}, 0);
    feed(session, client_frame(fin | ping_op, "Hello") + client_frame(fin | pong_op, "ignored"));
    CHECK(take_output(session) == pong_hello);
}

TEST_CASE("the peer closes first: the code is echoed and the session is closed") {
    WebSocketSession session({}, 0);
    const auto collected = feed(session, client_frame(fin | close_op, close_payload(1000, "done")) +
                                             client_frame(fin | text_start, "after close"));
    CHECK(collected.closes == Strings{"1000:done"});
    CHECK(collected.messages.empty());  // nothing after the close frame counts
    CHECK(session.state() == SessionState::closed);
    CHECK_FALSE(session.wants_transport_close());  // the reply is not sent yet
    CHECK(take_output(session) == close_1000);
    CHECK(session.wants_transport_close());
    CHECK_FALSE(session.send_message(Opcode::text, "too late"));
    CHECK(session.pending_output().empty());
}

TEST_CASE("an empty close frame is answered with an empty one and reported as 1005") {
    WebSocketSession session({}, 0);
    CHECK(feed(session, client_frame(fin | close_op, "")).closes == Strings{"1005:"});
    CHECK(take_output(session) == empty_close);
}

TEST_CASE("we close first: data is dropped until the peer's close arrives") {
    WebSocketSession session({}, 0);
    session.start_close(1001, "bye");
    CHECK(session.state() == SessionState::closing);
    CHECK(take_output(session) == close_1001_bye);
    CHECK_FALSE(session.send_message(Opcode::text, "no more"));
    session.start_close(1000);  // only once
    CHECK(session.pending_output().empty());
    const auto collected = feed(session, client_frame(fin | text_start, "late") + client_frame(fin | ping_op, "p") +
                                             client_frame(fin | close_op, close_payload(1001)));
    CHECK(collected.messages.empty());
    CHECK(collected.closes == Strings{"1001:"});
    CHECK(session.pending_output().empty());  // no pong and no second close after our close frame
    CHECK(session.wants_transport_close());
}

TEST_CASE("protocol violations fail the session; the right close frame waits for finish_failure") {
    struct Case {
        std::string bytes;
        std::string_view expected_frame;
        std::string expected_close;
    };
    SessionOptions small;
    small.limits.max_message_size = 8;
    const std::vector<Case> cases = {
        {std::string("\x81\x05Hello"), close_1002, "1002:"},                        // unmasked
        {client_frame(fin | 0x03, ""), close_1002, "1002:"},                        // bad opcode
        {client_frame(ping_op, ""), close_1002, "1002:"},                           // fragmented control frame
        {client_frame(fin | text_start, "\xff"), close_1007, "1007:"},              // invalid UTF-8
        {client_frame(fin | binary_start, "123456789"), close_1009, "1009:"},       // oversize
        {client_frame(fin | close_op, close_payload(1005)), close_1002, "1002:"},   // bad close code
    };
    for (const auto &test : cases) {
        WebSocketSession session(small, 0);
        const auto collected = feed(session, test.bytes + client_frame(fin | text_start, "ignored"));
        CAPTURE(test.expected_close);
        CHECK(collected.closes == Strings{test.expected_close});
        CHECK(collected.messages.empty());
        CHECK(session.state() == SessionState::failing);
        CHECK(session.pending_output().empty());
        CHECK_FALSE(session.wants_input());
        CHECK_FALSE(session.wants_transport_close());
        session.finish_failure();
        CHECK(take_output(session) == test.expected_frame);
        CHECK(session.wants_transport_close());
    }
}

TEST_CASE("messages before a violation are delivered, and their answers go out before the close frame") {
    WebSocketSession session({}, 0);
    // Autobahn 3.2: a message, a frame with RSV2 set, then a ping that must go unanswered.
    const auto collected = feed(session, client_frame(fin | text_start, "Hello") + client_frame(fin | 0x20 | text_start, "x") +
                                             client_frame(fin | ping_op, ""));
    CHECK(collected.messages == Strings{"text:Hello"});
    CHECK(collected.closes == Strings{"1002:"});
    CHECK(session.state() == SessionState::failing);
    CHECK(session.next_timer_ms(0) == PingDecision::never_ms);  // no keepalive pings while failing
    CHECK(session.send_message(Opcode::text, "hi"));            // the handler's answer to "Hello"
    session.finish_failure();
    CHECK(take_output(session) == std::string(text_hi) + std::string(close_1002));
    CHECK_FALSE(session.send_message(Opcode::text, "late"));  // nothing after the close frame
    session.finish_failure();                                  // once only
    CHECK(session.pending_output().empty());
}

TEST_CASE("send_message frames text and binary") {
    WebSocketSession session({}, 0);
    CHECK(session.send_message(Opcode::text, "hi"));
    CHECK(session.send_message(Opcode::binary, std::string(300, 'b')));
    const std::string out = take_output(session);
    CHECK(out.substr(0, 4) == text_hi);
    CHECK(out.substr(4, 4) == "\x82\x7e\x01\x2c");
    CHECK(out.size() == 4 + 4 + 300);
}

TEST_CASE("output is consumed in parts, and big buffers are given back once empty") {
    SessionOptions options;
    options.retained_buffer_capacity = 1024;
    WebSocketSession session(options, 0);
    session.send_message(Opcode::binary, std::string(100'000, 'x'));
    const std::size_t total = session.pending_output().size();
    session.consume_output(10);
    CHECK(session.pending_output().size() == total - 10);
    session.consume_output(total - 10);
    CHECK(session.pending_output().empty());
    // Sending again still works on the released buffer.
    session.send_message(Opcode::text, "hi");
    CHECK(session.pending_output() == text_hi);
}

TEST_CASE("take_output moves out what is not yet sent") {
    WebSocketSession session({}, 0);
    session.send_message(Opcode::text, "hi");
    session.consume_output(1);
    CHECK(session.take_output() == text_hi.substr(1));
    CHECK(session.pending_output().empty());
    session.send_message(Opcode::text, "hi");
    CHECK(session.take_output() == text_hi);
}

TEST_CASE("a large fragmented message is assembled, then its buffer is released") {
    SessionOptions options;
    options.retained_buffer_capacity = 1024;
    WebSocketSession session(options, 0);
    const std::string part(40'000, 'q');
    const auto collected =
        feed(session, client_frame(binary_start, part) + client_frame(fin | continuation, part), 4096);
    REQUIRE(collected.messages.size() == 1);
    CHECK(collected.messages[0].size() == 7 + 80'000);
    // The next call frees the delivered message; a later message still arrives intact.
    CHECK(feed(session, client_frame(fin | text_start, "small")).messages == Strings{"text:small"});
}

TEST_CASE("keepalive: ping a quiet peer, close with 1011 when it stays quiet") {
    SessionOptions options;
    options.ping = {1'000, 500};
    WebSocketSession session(options, 0);
    CHECK(session.next_timer_ms(0) == 1'000);
    CHECK(session.on_timer(999) == PingAction::none);
    CHECK(session.on_timer(1'000) == PingAction::send_ping);
    CHECK(take_output(session) == empty_ping);
    CHECK(session.next_timer_ms(1'000) == 1'500);
    CHECK(session.on_timer(1'500) == PingAction::timed_out);
    CHECK(session.state() == SessionState::closed);
    CHECK(take_output(session).substr(0, 4) == "\x88\x18\x03\xf3");  // 1011 + "keepalive ping timeout"
    CHECK(session.next_timer_ms(2'000) == PingDecision::never_ms);
}

TEST_CASE("keepalive: any frame from the peer answers the ping") {
    SessionOptions options;
    options.ping = {1'000, 500};
    WebSocketSession session(options, 0);
    CHECK(session.on_timer(1'000) == PingAction::send_ping);
    feed(session, client_frame(fin | pong_op, ""), 1 << 20, 1'200);
    CHECK(session.on_timer(1'500) == PingAction::none);
    CHECK(session.next_timer_ms(1'500) == 2'200);
    feed(session, client_frame(fin | text_start, "still here"), 1 << 20, 2'100);
    CHECK(session.next_timer_ms(2'150) == 3'100);
}

TEST_CASE("application close codes go out as given") {
    WebSocketSession session({}, 0);
    session.start_close(4000);
    CHECK(take_output(session) == close_4000);
}
