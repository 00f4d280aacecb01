#include "ws/masking.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using engine::ws::apply_mask;
using engine::ws::MaskKey;

namespace {

// RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
constexpr std::string_view rfc_masked_hello = "\x7f\x9f\x4d\x51\x58";
constexpr MaskKey rfc_key = {0x37, 0xfa, 0x21, 0x3d};

std::size_t reference_mask(char *data, std::size_t size, MaskKey key, std::size_t key_offset) {
    for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ key[(key_offset + i) % 4]);
    return (key_offset + size) % 4;
}

} // namespace

TEST_CASE("apply_mask: the RFC example unmasks to Hello") {
    std::string bytes(rfc_masked_hello);
    CHECK(apply_mask(bytes.data(), bytes.size(), rfc_key, 0) == 1);
    CHECK(bytes == "Hello");
}

TEST_CASE("apply_mask: a payload unmasked in pieces equals one pass") {
    std::string bytes(rfc_masked_hello);
    std::size_t offset = apply_mask(bytes.data(), 2, rfc_key, 0);
    CHECK(offset == 2);
    offset = apply_mask(bytes.data() + 2, 3, rfc_key, offset);
    CHECK(offset == 1);
    CHECK(bytes == "Hello");
}

TEST_CASE("apply_mask matches the byte-wise reference at every alignment, key offset and size") {
    std::mt19937_64 random(20240607);
    std::vector<char> original(4096 + 64);
    for (auto &byte : original) byte = static_cast<char>(random());
    const MaskKey key = {0xA5, 0x01, 0xFF, 0x5C};
    std::vector<std::size_t> sizes;
    for (std::size_t size = 0; size <= 70; ++size) sizes.push_back(size);
    sizes.push_back(1000);
    sizes.push_back(4096);
    for (std::size_t alignment = 0; alignment < 16; ++alignment) {
        for (std::size_t key_offset = 0; key_offset < 4; ++key_offset) {
            for (std::size_t size : sizes) {
                std::vector<char> fast = original;
                std::vector<char> slow = original;
                const std::size_t fast_next = apply_mask(fast.data() + alignment, size, key, key_offset);
                const std::size_t slow_next = reference_mask(slow.data() + alignment, size, key, key_offset);
                CAPTURE(alignment);
                CAPTURE(key_offset);
                CAPTURE(size);
                REQUIRE(fast_next == slow_next);
                REQUIRE(fast == slow);  // also proves no byte outside the range was touched
            }
        }
    }
}

TEST_CASE("apply_mask: masking twice restores the data; key offsets past 3 wrap") {
    std::string bytes = "The quick brown fox jumps over the lazy dog";
    const std::string original = bytes;
    apply_mask(bytes.data(), bytes.size(), rfc_key, 6);
    CHECK(bytes != original);
    apply_mask(bytes.data(), bytes.size(), rfc_key, 2);
    CHECK(bytes == original);
}
