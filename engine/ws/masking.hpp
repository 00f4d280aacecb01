#pragma once
// Client-to-server payload masking (RFC 6455 5.3): every payload byte i is XORed with
// key[i % 4]. Payloads arrive in pieces, so the position within the key is carried across calls.

#include <array>
#include <cstddef>
#include <cstdint>

namespace engine::ws {

using MaskKey = std::array<std::uint8_t, 4>;

/// XORs `size` bytes at `data` in place with `key`, starting at key byte `key_offset` (0..3, the
/// payload position modulo 4 of data[0]). Returns the key offset for the byte after the last one.
/// Works a 64-bit word at a time; any alignment of `data` is fine.
std::size_t apply_mask(char *data, std::size_t size, MaskKey key, std::size_t key_offset) noexcept;

} // namespace engine::ws
