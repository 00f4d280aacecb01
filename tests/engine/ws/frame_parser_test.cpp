#include "ws/frame_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client_frames.hpp"

using engine::ws::FrameEvent;
using engine::ws::FrameEventKind;
using engine::ws::FrameParser;
using engine::ws::FrameParserLimits;
using engine::ws::Opcode;
using namespace ws_test;

namespace {

// RFC 6455 5.7: a masked "Hello" text frame and a masked "Hello" pong.
constexpr std::string_view rfc_masked_text_hello = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
constexpr std::string_view rfc_masked_pong_hello = "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
// The same text frame without the mask bit and key: a client must mask (5.1).
constexpr std::string_view unmasked_text_hello = "\x81\x05Hello";
// Text frame with RSV1 set (permessage-deflate's bit), never negotiated here.
constexpr std::string_view rsv1_text = "\xc1\x80\x00\x00\x00\x00";
constexpr std::string_view rsv3_binary = "\x92\x80\x00\x00\x00\x00";
constexpr std::string_view opcode_3 = "\x83\x80\x00\x00\x00\x00";
constexpr std::string_view opcode_11 = "\x8b\x80\x00\x00\x00\x00";
// A ping without FIN, and a ping claiming 126 bytes through the 16-bit length.
constexpr std::string_view fragmented_ping = "\x09\x80\x00\x00\x00\x00";
constexpr std::string_view oversized_ping = "\x89\xfe\x00\x7e";
// 5 bytes written with the 16-bit form, 200 bytes with the 64-bit form: not the shortest encoding.
// Each is followed by a zero mask key, so the header is complete.
constexpr std::string_view non_minimal_16("\x82\xfe\x00\x05" "\x00\x00\x00\x00", 8);
constexpr std::string_view non_minimal_64("\x82\xff\x00\x00\x00\x00\x00\x00\x00\xc8" "\x00\x00\x00\x00", 14);
constexpr std::string_view length_high_bit_set("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00",
                                               14);
constexpr std::string_view continuation_first = "\x80\x80\x00\x00\x00\x00";

/// One line per event, with message pieces joined: "text:Hello", "ping:", "close:1000:bye", "error:1002".
/// The parser is fed `chunk_size` bytes at a time.
std::vector<std::string> summarize(std::string_view bytes, std::size_t chunk_size, FrameParserLimits limits = {}) {
    FrameParser parser(limits);
    std::vector<std::string> lines;
    std::string message;
    bool in_message = false;
    for (std::size_t at = 0; at < bytes.size() || bytes.empty(); at += chunk_size) {
        std::string chunk(bytes.substr(at, chunk_size));
        std::span<char> input(chunk.data(), chunk.size());
        for (;;) {
            const FrameEvent event = parser.next(input);
            if (event.kind == FrameEventKind::need_more) {
                REQUIRE(input.empty());
                break;
            }
            if (event.kind == FrameEventKind::error) {
                lines.push_back("error:" + std::to_string(event.close_code));
                std::span<char> more(chunk.data(), chunk.size());
                REQUIRE(parser.next(more).kind == FrameEventKind::error);  // sticky
                REQUIRE(parser.failed());
                return lines;
            }
            if (event.kind == FrameEventKind::control) {
                std::string line = event.opcode == Opcode::ping   ? "ping:"
                                   : event.opcode == Opcode::pong ? "pong:"
                                                                  : "close:";
                if (event.opcode == Opcode::close)
                    line += std::to_string(event.close_code) + ":" + std::string(event.close_reason);
                else
                    line += std::string(event.payload);
                lines.push_back(line);
                continue;
            }
            REQUIRE(event.message_start == !in_message);
            in_message = !event.message_end;
            message += event.payload;
            if (event.message_end) {
                lines.push_back((event.opcode == Opcode::text ? "text:" : "binary:") + message);
                message.clear();
            }
        }
        if (bytes.empty()) break;
    }
    return lines;
}

/// The summary, checked to be the same for every way of splitting the input.
std::vector<std::string> parse(std::string_view bytes, FrameParserLimits limits = {}) {
    const std::vector<std::string> whole = summarize(bytes, bytes.size() + 1, limits);
    for (std::size_t chunk_size : {1, 2, 3, 5, 7, 13}) {
        CAPTURE(chunk_size);
        REQUIRE(summarize(bytes, chunk_size, limits) == whole);
    }
    return whole;
}

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("the RFC's masked examples") {
    CHECK(parse(rfc_masked_text_hello) == Lines{"text:Hello"});
    CHECK(parse(rfc_masked_pong_hello) == Lines{"pong:Hello"});
}

TEST_CASE("frames of all three length forms, and back to back") {
    const std::string medium(300, 'm');
    const std::string large(70000, 'L');
    CHECK(parse(client_frame(fin | binary_start, medium)) == Lines{"binary:" + medium});
    CHECK(summarize(client_frame(fin | binary_start, large), 4096) == Lines{"binary:" + large});
    CHECK(summarize(client_frame(fin | binary_start, large), 1 << 20) == Lines{"binary:" + large});
    CHECK(parse(client_frame(fin | text_start, "a") + client_frame(fin | binary_start, "b") +
                client_frame(fin | ping_op, "p")) == Lines{"text:a", "binary:b", "ping:p"});
}

TEST_CASE("payloads are unmasked with the frame's own key") {
    CHECK(parse(client_frame(fin | text_start, "Hello", {0, 0, 0, 0})) == Lines{"text:Hello"});
    CHECK(parse(client_frame(fin | text_start, "Hello", {1, 2, 3, 4}) +
                client_frame(fin | text_start, "World", {9, 8, 7, 6})) == Lines{"text:Hello", "text:World"});
}

TEST_CASE("zero-length frames") {
    CHECK(parse(client_frame(fin | text_start, "")) == Lines{"text:"});
    CHECK(parse(client_frame(fin | binary_start, "")) == Lines{"binary:"});
    CHECK(parse(client_frame(fin | ping_op, "")) == Lines{"ping:"});
    CHECK(parse(client_frame(fin | close_op, "")) == Lines{"close:1005:"});
    // Empty fragments around and inside a message.
    CHECK(parse(client_frame(text_start, "") + client_frame(continuation, "ab") + client_frame(continuation, "") +
                client_frame(fin | continuation, "")) == Lines{"text:ab"});
}

TEST_CASE("fragmented messages, with control frames between the fragments") {
    CHECK(parse(client_frame(text_start, "Hel") + client_frame(fin | continuation, "lo")) == Lines{"text:Hello"});
    CHECK(parse(client_frame(binary_start, "a") + client_frame(fin | ping_op, "x") + client_frame(continuation, "b") +
                client_frame(fin | pong_op, "y") + client_frame(fin | continuation, "c")) ==
          Lines{"ping:x", "pong:y", "binary:abc"});
    // A close frame between fragments is reported at once.
    CHECK(parse(client_frame(text_start, "a") + client_frame(fin | close_op, close_payload(1000))) ==
          Lines{"close:1000:"});
}

TEST_CASE("a thousand empty fragments neither recurse nor report anything") {
    std::string bytes = client_frame(binary_start, "x");
    for (int i = 0; i < 1000; ++i) bytes += client_frame(continuation, "");
    bytes += client_frame(fin | continuation, "y");
    CHECK(summarize(bytes, bytes.size()) == Lines{"binary:xy"});
}

TEST_CASE("UTF-8 across fragments: a character split between fragments is fine") {
    // "κόσμε" with the 3-byte ό split 1+2 across two fragments (Autobahn 6.2.x / 6.4.x style).
    const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
    for (std::size_t cut = 0; cut <= kosme.size(); ++cut) {
        CAPTURE(cut);
        CHECK(parse(client_frame(text_start, kosme.substr(0, cut)) +
                    client_frame(fin | continuation, kosme.substr(cut))) == Lines{"text:" + kosme});
    }
}

TEST_CASE("invalid UTF-8 fails with 1007, as soon as it is seen") {
    CHECK(parse(client_frame(fin | text_start, "\xce\xba\xff")) == Lines{"error:1007"});
    CHECK(parse(client_frame(fin | text_start, "\xed\xa0\x80")) == Lines{"error:1007"});  // a surrogate
    // Truncated at the end of the message.
    CHECK(parse(client_frame(fin | text_start, "ok\xe2\x82")) == Lines{"error:1007"});
    CHECK(parse(client_frame(text_start, "ok\xe2") + client_frame(fin | continuation, "")) == Lines{"error:1007"});
    // Fail fast: the bad first fragment is refused before the rest of the message arrives.
    CHECK(parse(client_frame(text_start, "\xc0\xaf")) == Lines{"error:1007"});
    // Binary messages are not text.
    CHECK(parse(client_frame(fin | binary_start, "\xff\xfe")) == Lines{"binary:\xff\xfe"});
}

TEST_CASE("masking is required of clients: 1002") {
    CHECK(parse(unmasked_text_hello) == Lines{"error:1002"});
    CHECK(parse(std::string_view("\x89\x00", 2)) == Lines{"error:1002"});
}

TEST_CASE("RSV bits and reserved opcodes: 1002") {
    CHECK(parse(rsv1_text) == Lines{"error:1002"});
    CHECK(parse(rsv3_binary) == Lines{"error:1002"});
    CHECK(parse(opcode_3) == Lines{"error:1002"});
    CHECK(parse(opcode_11) == Lines{"error:1002"});
    for (std::uint8_t opcode : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
        CAPTURE(int(opcode));
        CHECK(parse(client_frame(fin | opcode, "")) == Lines{"error:1002"});
    }
    // A valid frame first, then the bad one: the good one is still reported.
    CHECK(parse(client_frame(fin | text_start, "ok") + std::string(rsv1_text)) == Lines{"text:ok", "error:1002"});
}

TEST_CASE("control frames must be final and at most 125 bytes: 1002") {
    CHECK(parse(fragmented_ping) == Lines{"error:1002"});
    CHECK(parse(oversized_ping) == Lines{"error:1002"});
    CHECK(parse(client_frame(fin | ping_op, std::string(125, 'p'))) == Lines{"ping:" + std::string(125, 'p')});
    CHECK(parse(client_frame(fin | pong_op, std::string(126, 'p'))) == Lines{"error:1002"});
    CHECK(parse(client_frame(close_op, close_payload(1000))) == Lines{"error:1002"});
}

TEST_CASE("fragmentation order: 1002") {
    CHECK(parse(continuation_first) == Lines{"error:1002"});
    CHECK(parse(client_frame(fin | continuation, "x")) == Lines{"error:1002"});
    CHECK(parse(client_frame(fin | text_start, "done") + client_frame(fin | continuation, "x")) ==
          Lines{"text:done", "error:1002"});
    CHECK(parse(client_frame(text_start, "a") + client_frame(fin | text_start, "b")) == Lines{"error:1002"});
    CHECK(parse(client_frame(binary_start, "a") + client_frame(binary_start, "b")) == Lines{"error:1002"});
}

TEST_CASE("lengths must use the shortest form and fit 63 bits: 1002") {
    CHECK(parse(non_minimal_16) == Lines{"error:1002"});
    CHECK(parse(non_minimal_64) == Lines{"error:1002"});
    CHECK(parse(length_high_bit_set) == Lines{"error:1002"});
}

TEST_CASE("the message size limit counts all fragments: 1009 before the payload arrives") {
    const FrameParserLimits limits{10};
    CHECK(parse(client_frame(fin | binary_start, std::string(10, 'x')), limits) == Lines{"binary:xxxxxxxxxx"});
    CHECK(parse(client_frame(fin | binary_start, std::string(11, 'x')), limits) == Lines{"error:1009"});
    CHECK(parse(client_frame(binary_start, "123456") + client_frame(fin | continuation, "7890"), limits) ==
          Lines{"binary:1234567890"});
    // The first fragment was fine; the second makes 11 bytes.
    CHECK(parse(client_frame(binary_start, "123456") + client_frame(fin | continuation, "78901"), limits) ==
          Lines{"error:1009"});
    // Only the header of an oversize frame is needed to refuse it.
    const std::string huge_header = client_frame(fin | binary_start, std::string(70000, 'x')).substr(0, 14);
    CHECK(parse(huge_header, limits) == Lines{"error:1009"});
    // Control frames do not count towards the limit, and the count restarts with each message.
    CHECK(parse(client_frame(binary_start, "123456") + client_frame(fin | ping_op, "0123456789") +
                    client_frame(fin | continuation, "7890") + client_frame(fin | text_start, "abcdefghij"),
                limits) == Lines{"ping:0123456789", "binary:1234567890", "text:abcdefghij"});
}

TEST_CASE("close frames: code, reason and their rules") {
    CHECK(parse(client_frame(fin | close_op, close_payload(1000, "bye"))) == Lines{"close:1000:bye"});
    CHECK(parse(client_frame(fin | close_op, close_payload(4999))) == Lines{"close:4999:"});
    CHECK(parse(client_frame(fin | close_op, close_payload(1000, "\xce\xba"))) == Lines{"close:1000:\xce\xba"});
    CHECK(parse(client_frame(fin | close_op, "\x03")) == Lines{"error:1002"});  // a 1-byte payload
    CHECK(parse(client_frame(fin | close_op, close_payload(1000, "\xff"))) == Lines{"error:1007"});
    for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
                               4000, 4999}) {
        CAPTURE(code);
        CHECK(parse(client_frame(fin | close_op, close_payload(code))) == Lines{"close:" + std::to_string(code) + ":"});
    }
    // Autobahn 7.9.x: codes that must not appear on the wire.
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        CAPTURE(code);
        CHECK(parse(client_frame(fin | close_op, close_payload(code))) == Lines{"error:1002"});
    }
}

TEST_CASE("payload views point into the caller's buffer, unmasked in place") {
    std::string bytes(rfc_masked_text_hello);
    std::span<char> input(bytes.data(), bytes.size());
    FrameParser parser;
    const FrameEvent event = parser.next(input);
    REQUIRE(event.kind == FrameEventKind::message_data);
    CHECK(event.payload == "Hello");
    CHECK(event.payload.data() == bytes.data() + 6);
    CHECK(input.empty());
    CHECK(parser.next(input).kind == FrameEventKind::need_more);
}
