#pragma once
// Incremental RFC 6455 frame parser for the server side: bytes in, events out, with any split of the
// input across calls. It enforces every rule that fails a connection, each with its close code:
//   1002 protocol error: RSV bits (RSV1 is allowed on the first frame of a data message when
//        permessage-deflate was agreed, RFC 7692 6), unknown opcodes, an unmasked
//        client frame (5.1), a fragmented or oversized (>125) control frame (5.5), a continuation
//        without a message to continue or a new message inside a fragmented one (5.4), a length not
//        in its shortest form or with the 64-bit high bit set (5.2), a bad close payload (5.5.1, 7.4);
//   1007 invalid payload: text that is not UTF-8, checked as it arrives (8.1; a compressed message
//        is checked by the session once inflated), or a close reason that is not UTF-8;
//   1009 message too big: a message whose fragments add up past the limit, refused at the frame
//        header before its payload is read.
// Payload bytes are unmasked in place in the caller's buffer and handed back as views into it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ws/masking.hpp"
#include "ws/protocol.hpp"
#include "ws/utf8_validator.hpp"

namespace engine::ws {

struct FrameParserLimits {
    /// Largest message (all fragments together) accepted; larger ones fail with 1009.
    std::uint64_t max_message_size = 16 * 1024 * 1024;
    /// permessage-deflate is on: RSV1 marks a compressed message.
    bool allow_compressed = false;
};

enum class FrameEventKind : std::uint8_t {
    need_more,     ///< the input is used up; call again with more bytes
    message_data,  ///< a piece of a text or binary message
    control,       ///< a whole ping, pong or close frame
    error,         ///< the connection must fail with close_code; the parser stays failed
};

struct FrameEvent {
    FrameEventKind kind = FrameEventKind::need_more;
    /// message_data: the message's opcode (text or binary, also for its continuation frames);
    /// control: ping, pong or close.
    Opcode opcode = Opcode::continuation;
    bool message_start = false;  ///< message_data: the first piece of this message
    bool message_end = false;    ///< message_data: the message is complete with this piece
    bool compressed = false;     ///< message_data: the message's first frame had RSV1 (permessage-deflate)
    /// message_data: unmasked bytes inside the caller's input buffer (may be empty at message_end);
    /// control: the whole payload in parser storage, valid until the next call.
    std::string_view payload;
    /// control close: the peer's code, or 1005 (no_status) for an empty close frame;
    /// error: the code to close the connection with.
    std::uint16_t close_code = 0;
    std::string_view close_reason;  ///< control close: the reason text (valid UTF-8)
};

class FrameParser {
  public:
    explicit FrameParser(FrameParserLimits limits = {}) noexcept : limits_(limits) {}

    /// Consumes bytes from the front of `input` and returns the next event. Payload bytes are
    /// unmasked in place, so `input` must be writable. After an error every call returns the same
    /// error and consumes nothing.
    FrameEvent next(std::span<char> &input) noexcept;

    bool failed() const noexcept { return stage_ == Stage::failed; }
    /// A fragmented message has started and not ended.
    bool in_message() const noexcept { return in_message_; }

  private:
    enum class Stage : std::uint8_t { header, payload, failed };

    FrameEvent step(std::span<char> &input) noexcept;
    FrameEvent fail(std::uint16_t code) noexcept;
    /// Checks the two fixed header bytes as soon as they are in, before any extended length.
    std::uint16_t check_fixed_header() const noexcept;
    /// Decodes the complete header into the frame fields; returns 0 or a close code.
    std::uint16_t decode_header() noexcept;
    FrameEvent read_header(std::span<char> &input) noexcept;
    FrameEvent read_data_payload(std::span<char> &input) noexcept;
    FrameEvent read_control_payload(std::span<char> &input) noexcept;
    FrameEvent finish_control_frame() noexcept;
    void start_frame_payload() noexcept;

    FrameParserLimits limits_;
    Stage stage_ = Stage::header;
    std::uint16_t failure_code_ = 0;

    // The frame being read. 2 fixed bytes + 8 bytes of extended length + 4 bytes of mask.
    static constexpr std::size_t max_header_size = 14;
    char header_[max_header_size];
    std::size_t header_have_ = 0;
    std::size_t header_need_ = 2;
    Opcode frame_opcode_ = Opcode::continuation;
    bool frame_fin_ = false;
    MaskKey mask_{};
    std::size_t mask_offset_ = 0;
    std::uint64_t frame_remaining_ = 0;

    // The data message being read, possibly across fragments.
    bool in_message_ = false;
    bool message_start_pending_ = false;
    Opcode message_opcode_ = Opcode::text;
    bool message_compressed_ = false;
    std::uint64_t message_size_ = 0;
    Utf8Validator utf8_;

    // A control frame is at most 125 bytes, so it is gathered whole before it is reported.
    char control_[max_control_payload];
    std::size_t control_size_ = 0;
};

} // namespace engine::ws
