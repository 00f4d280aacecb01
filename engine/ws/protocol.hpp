#pragma once
// RFC 6455 vocabulary shared by the ws/ module: opcodes and close codes, with the rules about which
// close codes may appear on the wire. Header-only: a handful of constexpr predicates.

#include <cstddef>
#include <cstdint>

namespace engine::ws {

/// Frame opcodes (RFC 6455 5.2). Values 3-7 and 11-15 are reserved and fail the connection.
enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Control frames have the high bit of the 4-bit opcode set (RFC 6455 5.5).
constexpr bool is_control(Opcode opcode) noexcept { return (static_cast<std::uint8_t>(opcode) & 0x8) != 0; }

constexpr bool is_known_opcode(std::uint8_t raw) noexcept {
    return raw <= 0x2 || (raw >= 0x8 && raw <= 0xA);
}

/// Close status codes (RFC 6455 7.4.1 and the IANA registry).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
/// Never on the wire: "the close frame had no status code" (reported to the application).
inline constexpr std::uint16_t no_status = 1005;
/// Never on the wire: "the connection dropped without a close frame".
inline constexpr std::uint16_t abnormal = 1006;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
} // namespace close_code

/// Whether a peer may send `code` in a close frame (RFC 6455 7.4.1/7.4.2). 1004-1006 and 1015 are
/// reserved and must never be sent; 1012-1014 were registered with IANA after the RFC (service
/// restart, try again later, bad gateway) and are accepted as browsers and the websockets library do;
/// 3000-3999 are registered by libraries and 4000-4999 are private use.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
    if (code >= 1000 && code <= 1003) return true;
    if (code >= 1007 && code <= 1014) return true;
    return code >= 3000 && code <= 4999;
}

/// The two fixed header bytes (RFC 6455 5.2): FIN, RSV1-3 and opcode; then MASK and the 7-bit length,
/// whose values 126 and 127 announce a 16-bit or 64-bit length after them.
namespace header_bits {
inline constexpr std::uint8_t fin = 0x80;
inline constexpr std::uint8_t rsv = 0x70;
inline constexpr std::uint8_t rsv1 = 0x40;  ///< permessage-deflate's "compressed" bit (RFC 7692 6)
inline constexpr std::uint8_t opcode = 0x0F;
inline constexpr std::uint8_t mask = 0x80;
inline constexpr std::uint8_t length7 = 0x7F;
inline constexpr std::uint8_t length_16bit_marker = 126;
inline constexpr std::uint8_t length_64bit_marker = 127;
} // namespace header_bits

/// A control frame's payload is at most 125 bytes (RFC 6455 5.5), so it always fits the 7-bit length.
inline constexpr std::size_t max_control_payload = 125;

} // namespace engine::ws
