#pragma once
// Builds masked client frames for the ws/ tests, and feeds bytes to a parser in every split.

#include <cstdint>
#include <string>
#include <string_view>

#include "ws/masking.hpp"

namespace ws_test {

// First frame byte: FIN bit | opcode.
inline constexpr std::uint8_t fin = 0x80;
inline constexpr std::uint8_t text_start = 0x01;
inline constexpr std::uint8_t binary_start = 0x02;
inline constexpr std::uint8_t continuation = 0x00;
inline constexpr std::uint8_t close_op = 0x08;
inline constexpr std::uint8_t ping_op = 0x09;
inline constexpr std::uint8_t pong_op = 0x0A;

/// RFC 6455 5.7's masking key.
inline constexpr engine::ws::MaskKey rfc_mask = {0x37, 0xfa, 0x21, 0x3d};

/// A masked client frame with `first_byte` (FIN/RSV/opcode) and the shortest length encoding.
inline std::string client_frame(std::uint8_t first_byte, std::string_view payload,
                                engine::ws::MaskKey mask = rfc_mask) {
    std::string frame(1, static_cast<char>(first_byte));
    const std::uint64_t size = payload.size();
    if (size <= 125) {
        frame += static_cast<char>(0x80 | size);
    } else if (size <= 0xFFFF) {
        frame += static_cast<char>(0x80 | 126);
        for (int shift = 8; shift >= 0; shift -= 8) frame += static_cast<char>(size >> shift);
    } else {
        frame += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>(size >> shift);
    }
    frame.append(reinterpret_cast<const char *>(mask.data()), mask.size());
    std::string masked(payload);
    engine::ws::apply_mask(masked.data(), masked.size(), mask, 0);
    return frame + masked;
}

/// A close frame payload: big-endian code then reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload += reason;
    return payload;
}

} // namespace ws_test
