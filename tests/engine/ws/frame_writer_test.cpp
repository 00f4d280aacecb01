#include "ws/frame_writer.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::ws::append_close_frame;
using engine::ws::append_frame;
using engine::ws::append_message;
using engine::ws::max_server_frame_header;
using engine::ws::Opcode;
using engine::ws::write_frame_header;

namespace {

// RFC 6455 5.7 examples (unmasked, as a server sends them).
constexpr std::string_view rfc_text_hello = "\x81\x05Hello";
constexpr std::string_view rfc_fragment_hel = "\x01\x03Hel";
constexpr std::string_view rfc_fragment_lo = "\x80\x02lo";
constexpr std::string_view rfc_ping_hello = "\x89\x05Hello";
constexpr std::string_view rfc_binary_256_header("\x82\x7e\x01\x00", 4);
constexpr std::string_view rfc_binary_65536_header("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);

std::string header_of(Opcode opcode, bool fin, std::uint64_t length) {
    char header[max_server_frame_header];
    return std::string(header, write_frame_header(header, opcode, fin, length));
}

} // namespace

TEST_CASE("frame headers: the RFC examples and the length boundaries") {
    std::string out;
    append_frame(out, Opcode::text, true, "Hello");
    CHECK(out == rfc_text_hello);
    out.clear();
    append_frame(out, Opcode::ping, true, "Hello");
    CHECK(out == rfc_ping_hello);
    CHECK(header_of(Opcode::binary, true, 256) == rfc_binary_256_header);
    CHECK(header_of(Opcode::binary, true, 65536) == rfc_binary_65536_header);
    CHECK(header_of(Opcode::binary, true, 125).size() == 2);
    CHECK(header_of(Opcode::binary, true, 126) == std::string_view("\x82\x7e\x00\x7e", 4));
    CHECK(header_of(Opcode::binary, true, 0xFFFF) == "\x82\x7e\xff\xff");
    CHECK(header_of(Opcode::binary, false, 0x10000).size() == 10);
    CHECK(header_of(Opcode::continuation, false, 0) == std::string_view("\x00\x00", 2));
}

TEST_CASE("append_message fragments a message when asked") {
    std::string out;
    append_message(out, Opcode::text, "Hello", 3);
    CHECK(out == std::string(rfc_fragment_hel) + std::string(rfc_fragment_lo));
    out.clear();
    append_message(out, Opcode::binary, "Hello");
    CHECK(out == "\x82\x05Hello");
    out.clear();
    append_message(out, Opcode::text, "", 3);
    CHECK(out == std::string_view("\x81\x00", 2));
    out.clear();
    append_message(out, Opcode::binary, "abcdef", 3);  // exact multiple: the second frame carries FIN
    CHECK(out == "\x02\x03" "abc" "\x80\x03" "def");
}

TEST_CASE("close frames: code, reason, and codes that must not be sent") {
    std::string out;
    append_close_frame(out, 1000);
    CHECK(out == "\x88\x02\x03\xe8");
    out.clear();
    append_close_frame(out, 1001, "bye");
    CHECK(out == "\x88\x05\x03\xe9" "bye");
    out.clear();
    append_close_frame(out, 1005);  // "no status" is never on the wire: an empty close frame instead
    CHECK(out == std::string_view("\x88\x00", 2));
    out.clear();
    append_close_frame(out, 999, "reason dropped too");
    CHECK(out == std::string_view("\x88\x00", 2));
}

TEST_CASE("a long close reason is cut to 123 bytes at a character boundary") {
    std::string out;
    append_close_frame(out, 4000, std::string(200, 'x'));
    CHECK(out.size() == 2 + 125);
    out.clear();
    // 122 ASCII bytes then a 2-byte character: it would end at byte 124 > 123, so it goes entirely.
    const std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";
    append_close_frame(out, 4000, reason);
    CHECK(static_cast<std::uint8_t>(out[1]) == 2 + 122);
    CHECK(out.substr(4) == std::string(122, 'a'));
}
