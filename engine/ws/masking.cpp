#include "ws/masking.hpp"

#include <cstring>

namespace engine::ws {

std::size_t apply_mask(char *data, std::size_t size, MaskKey key, std::size_t key_offset) noexcept {
    key_offset &= 3;
    // Rotate the key so that byte 0 of `data` meets rotated[0]; then every 8-byte block starts at a
    // multiple of 4 within the rotated key and one 64-bit pattern serves all blocks. memcpy keeps
    // the loads legal at any alignment and compiles to plain (vectorisable) moves.
    std::uint8_t rotated[8];
    for (std::size_t i = 0; i < 8; ++i) rotated[i] = key[(key_offset + i) & 3];
    std::uint64_t pattern;
    std::memcpy(&pattern, rotated, sizeof pattern);

    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, sizeof word);
        word ^= pattern;
        std::memcpy(data + i, &word, sizeof word);
    }
    for (; i < size; ++i) data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ rotated[i & 7]);
    return (key_offset + size) & 3;
}

} // namespace engine::ws
