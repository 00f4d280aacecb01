#pragma once
// Server-to-client frames (RFC 6455 5.2): never masked (5.1), lengths in the shortest encoding.
// Pure: bytes are appended to a caller-owned string or written to a caller-owned header array, so a
// large payload can be sent from its own buffer behind a separately written header (gathered send).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/protocol.hpp"

namespace engine::ws {

/// 2 bytes of flags and 7-bit length, plus up to 8 bytes of extended length; servers send no mask.
inline constexpr std::size_t max_server_frame_header = 10;

/// Writes a frame header for `payload_length` bytes into `out` and returns its size (2, 4 or 10).
/// `rsv` is or-ed into the first byte (header_bits::rsv1 for a compressed message).
std::size_t write_frame_header(char (&out)[max_server_frame_header], Opcode opcode, bool fin,
                               std::uint64_t payload_length, std::uint8_t rsv = 0) noexcept;

/// Appends one whole frame (header and payload).
void append_frame(std::string &out, Opcode opcode, bool fin, std::string_view payload, std::uint8_t rsv = 0);

/// Appends a text or binary message, split into frames of at most `max_frame_payload` bytes
/// (0: one frame). An empty message is one empty frame.
void append_message(std::string &out, Opcode opcode, std::string_view payload, std::size_t max_frame_payload = 0);

/// Appends a close frame with `code` and `reason`. The reason is cut to the 123 bytes a control frame
/// leaves for it, at a UTF-8 character boundary so the peer can still validate it. Codes the RFC
/// forbids on the wire (1005, 1006, 1015, below 1000) produce an empty close frame instead.
void append_close_frame(std::string &out, std::uint16_t code, std::string_view reason = {});

} // namespace engine::ws
