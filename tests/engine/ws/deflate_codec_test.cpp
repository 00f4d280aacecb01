#include "ws/deflate_codec.hpp"

#include <doctest/doctest.h>

#include <string>

using engine::ws::InflateResult;
using engine::ws::MessageDeflater;
using engine::ws::MessageInflater;

namespace {

std::string sample(std::size_t size) {
    std::string text;
    for (std::size_t i = 0; text.size() < size; ++i) text += "{\"id\":" + std::to_string(i * 7919 % 1000) + "},";
    text.resize(size);
    return text;
}

} // namespace

TEST_CASE("deflate: messages survive the round trip, with and without context takeover") {
    for (const bool takeover : {true, false}) {
        for (const std::uint8_t bits : {9, 12, 15}) {
            CAPTURE(takeover);
            CAPTURE(int(bits));
            MessageDeflater deflater(bits, !takeover);
            MessageInflater inflater(bits, !takeover);
            for (const std::size_t size : {0, 1, 200, 70'000}) {
                const std::string message = sample(size);
                std::string wire;
                REQUIRE(deflater.compress(message, wire));
                CHECK((wire.size() < 4 || wire.substr(wire.size() - 4) != std::string("\0\0\xff\xff", 4)));
                std::string out;
                // In two pieces, as two frames of one message would come.
                const std::size_t half = wire.size() / 2;
                REQUIRE(inflater.inflate(std::string_view(wire).substr(0, half), false, out, 1 << 20) ==
                        InflateResult::ok);
                REQUIRE(inflater.inflate(std::string_view(wire).substr(half), true, out, 1 << 20) == InflateResult::ok);
                CHECK(out == message);
            }
            // Without context takeover neither side keeps a zlib stream between messages.
            CHECK(deflater.holds_stream() == takeover);
            CHECK(inflater.holds_stream() == takeover);
        }
    }
}

TEST_CASE("deflate: context takeover makes a repeated message smaller") {
    MessageDeflater deflater(15, false);
    const std::string message = sample(2000);
    std::string first, second;
    REQUIRE(deflater.compress(message, first));
    REQUIRE(deflater.compress(message, second));
    CHECK(second.size() < first.size() / 4);
}

TEST_CASE("inflate: a bomb stops at the limit, and the buffer never grows past it") {
    MessageDeflater deflater(15, true);
    std::string wire;
    REQUIRE(deflater.compress(std::string(32 << 20, 'a'), wire));  // 32 MiB of one letter: ~32 KiB on the wire
    CHECK(wire.size() < 64 * 1024);
    MessageInflater inflater(15, true);
    std::string out;
    CHECK(inflater.inflate(wire, true, out, 100'000) == InflateResult::too_big);
    CHECK(out.size() <= 100'000);
    CHECK(out.capacity() < 1 << 20);
    CHECK_FALSE(inflater.holds_stream());
}

TEST_CASE("inflate: exactly the limit is fine") {
    MessageDeflater deflater(15, true);
    std::string wire;
    REQUIRE(deflater.compress(std::string(5000, 'b'), wire));
    MessageInflater inflater(15, true);
    std::string out;
    CHECK(inflater.inflate(wire, true, out, 5000) == InflateResult::ok);
    CHECK(out == std::string(5000, 'b'));
}

TEST_CASE("inflate: garbage is corrupt") {
    MessageInflater inflater(15, false);
    std::string out;
    CHECK(inflater.inflate(std::string("\xff\xff\xff\xff\xff", 5), true, out, 1000) == InflateResult::corrupt);
}

TEST_CASE("inflate: a message one byte past the limit leaves at most the limit (found by fuzz/ws_deflate)") {
    // The fuzz input: 17 'z's through a compressor, inflated with a 16-byte limit.
    const std::string message(17, 'z');
    MessageDeflater deflater(15, true);
    std::string wire;
    REQUIRE(deflater.compress(message, wire));
    for (const std::size_t limit : {std::size_t{1}, std::size_t{16}}) {
        MessageInflater inflater(15, true);
        std::string out;
        CHECK(inflater.inflate(wire, true, out, limit) == InflateResult::too_big);
        CHECK(out.size() <= limit);
    }
}
