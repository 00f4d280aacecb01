#include "ws/frame_parser.hpp"

#include <algorithm>
#include <cstring>

namespace engine::ws {
namespace {

constexpr std::size_t mask_key_size = 4;

std::uint8_t byte_at(const char *bytes, std::size_t index) noexcept { return static_cast<std::uint8_t>(bytes[index]); }

std::uint64_t read_big_endian(const char *bytes, std::size_t count) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value = (value << 8) | byte_at(bytes, i);
    return value;
}

std::size_t extended_length_size(std::uint8_t short_length) noexcept {
    if (short_length == header_bits::length_16bit_marker) return 2;
    if (short_length == header_bits::length_64bit_marker) return 8;
    return 0;
}

} // namespace

FrameEvent FrameParser::fail(std::uint16_t code) noexcept {
    stage_ = Stage::failed;
    failure_code_ = code;
    FrameEvent event;
    event.kind = FrameEventKind::error;
    event.close_code = code;
    return event;
}

std::uint16_t FrameParser::check_fixed_header() const noexcept {
    const std::uint8_t first = byte_at(header_, 0);
    const std::uint8_t second = byte_at(header_, 1);
    const std::uint8_t raw_opcode = first & header_bits::opcode;
    if (!is_known_opcode(raw_opcode)) return close_code::protocol_error;
    // RSV2 and RSV3 belong to no extension we speak; RSV1 is permessage-deflate's, on a message's first
    // frame only (RFC 7692 6.1: never on a control frame or a continuation).
    if (first & header_bits::rsv & ~header_bits::rsv1) return close_code::protocol_error;
    const bool message_start_frame = raw_opcode == static_cast<std::uint8_t>(Opcode::text) ||
                                     raw_opcode == static_cast<std::uint8_t>(Opcode::binary);
    if ((first & header_bits::rsv1) && !(limits_.allow_compressed && message_start_frame))
        return close_code::protocol_error;
    if (!(second & header_bits::mask)) return close_code::protocol_error;  // clients must mask (5.1)
    const auto opcode = static_cast<Opcode>(raw_opcode);
    if (is_control(opcode)) {
        if (!(first & header_bits::fin)) return close_code::protocol_error;
        if ((second & header_bits::length7) > max_control_payload) return close_code::protocol_error;
    } else if (opcode == Opcode::continuation) {
        if (!in_message_) return close_code::protocol_error;
    } else if (in_message_) {
        return close_code::protocol_error;  // a new message while a fragmented one is open
    }
    return 0;
}

std::uint16_t FrameParser::decode_header() noexcept {
    const std::uint8_t first = byte_at(header_, 0);
    const std::uint8_t short_length = byte_at(header_, 1) & header_bits::length7;
    const std::size_t extension_size = extended_length_size(short_length);
    frame_fin_ = (first & header_bits::fin) != 0;
    frame_opcode_ = static_cast<Opcode>(first & header_bits::opcode);
    std::uint64_t length = short_length;
    if (extension_size == 2) {
        length = read_big_endian(header_ + 2, 2);
        if (length <= max_control_payload) return close_code::protocol_error;  // fits in 7 bits
    } else if (extension_size == 8) {
        length = read_big_endian(header_ + 2, 8);
        if (length >> 63) return close_code::protocol_error;  // the most significant bit must be 0
        if (length <= 0xFFFF) return close_code::protocol_error;  // fits in 16 bits
    }
    std::memcpy(mask_.data(), header_ + 2 + extension_size, mask_key_size);
    mask_offset_ = 0;
    frame_remaining_ = length;
    if (!is_control(frame_opcode_)) {
        // Refuse before reading a byte of payload; subtraction keeps this overflow-free.
        if (length > limits_.max_message_size || message_size_ > limits_.max_message_size - length)
            return close_code::message_too_big;
    }
    return 0;
}

void FrameParser::start_frame_payload() noexcept {
    stage_ = Stage::payload;
    header_have_ = 0;
    header_need_ = 2;
    if (is_control(frame_opcode_)) {
        control_size_ = 0;
        return;
    }
    if (frame_opcode_ != Opcode::continuation) {
        in_message_ = true;
        message_start_pending_ = true;
        message_opcode_ = frame_opcode_;
        message_compressed_ = (byte_at(header_, 0) & header_bits::rsv1) != 0;
        message_size_ = 0;
        utf8_.reset();
    }
    message_size_ += frame_remaining_;
}

FrameEvent FrameParser::read_header(std::span<char> &input) noexcept {
    while (header_have_ < header_need_) {
        if (input.empty()) return {};
        const std::size_t take = std::min(header_need_ - header_have_, input.size());
        std::memcpy(header_ + header_have_, input.data(), take);
        input = input.subspan(take);
        const bool had_fixed_part = header_have_ >= 2;
        header_have_ += take;
        if (!had_fixed_part && header_have_ >= 2) {
            if (const std::uint16_t code = check_fixed_header()) return fail(code);
            const std::uint8_t short_length = byte_at(header_, 1) & header_bits::length7;
            header_need_ = 2 + extended_length_size(short_length) + mask_key_size;
        }
    }
    if (const std::uint16_t code = decode_header()) return fail(code);
    start_frame_payload();
    if (is_control(frame_opcode_)) return read_control_payload(input);
    return read_data_payload(input);
}

FrameEvent FrameParser::read_data_payload(std::span<char> &input) noexcept {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(frame_remaining_, input.size()));
    if (take == 0 && frame_remaining_ > 0) return {};
    char *piece = input.data();
    input = input.subspan(take);
    mask_offset_ = apply_mask(piece, take, mask_, mask_offset_);
    frame_remaining_ -= take;

    const bool frame_done = frame_remaining_ == 0;
    const bool message_done = frame_done && frame_fin_;
    if (message_opcode_ == Opcode::text && !message_compressed_) {
        if (!utf8_.feed(std::string_view(piece, take))) return fail(close_code::invalid_payload);
        if (message_done && !utf8_.complete()) return fail(close_code::invalid_payload);
    }
    if (frame_done) stage_ = Stage::header;
    // An empty non-final fragment says nothing; need_more with input left makes next() go on.
    if (take == 0 && !message_done) return {};

    FrameEvent event;
    event.kind = FrameEventKind::message_data;
    event.opcode = message_opcode_;
    event.message_start = message_start_pending_;
    event.message_end = message_done;
    event.compressed = message_compressed_;
    event.payload = std::string_view(piece, take);
    message_start_pending_ = false;
    if (message_done) {
        in_message_ = false;
        message_size_ = 0;
    }
    return event;
}

FrameEvent FrameParser::read_control_payload(std::span<char> &input) noexcept {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(frame_remaining_, input.size()));
    std::memcpy(control_ + control_size_, input.data(), take);
    input = input.subspan(take);
    mask_offset_ = apply_mask(control_ + control_size_, take, mask_, mask_offset_);
    control_size_ += take;
    frame_remaining_ -= take;
    if (frame_remaining_ > 0) return {};
    stage_ = Stage::header;
    return finish_control_frame();
}

FrameEvent FrameParser::finish_control_frame() noexcept {
    FrameEvent event;
    event.kind = FrameEventKind::control;
    event.opcode = frame_opcode_;
    event.payload = std::string_view(control_, control_size_);
    if (frame_opcode_ != Opcode::close) return event;

    // A close payload is empty, or a 2-byte code followed by a UTF-8 reason (5.5.1).
    if (control_size_ == 0) {
        event.close_code = close_code::no_status;
        return event;
    }
    if (control_size_ == 1) return fail(close_code::protocol_error);
    const auto code = static_cast<std::uint16_t>(read_big_endian(control_, 2));
    if (!is_valid_close_code(code)) return fail(close_code::protocol_error);
    const std::string_view reason(control_ + 2, control_size_ - 2);
    if (!is_valid_utf8(reason)) return fail(close_code::invalid_payload);
    event.close_code = code;
    event.close_reason = reason;
    return event;
}

FrameEvent FrameParser::step(std::span<char> &input) noexcept {
    switch (stage_) {
    case Stage::failed: {
        FrameEvent event;
        event.kind = FrameEventKind::error;
        event.close_code = failure_code_;
        return event;
    }
    case Stage::header: return read_header(input);
    case Stage::payload:
        if (is_control(frame_opcode_)) return read_control_payload(input);
        return read_data_payload(input);
    }
    return {};
}

FrameEvent FrameParser::next(std::span<char> &input) noexcept {
    // step() reports need_more with input left only after an empty non-final fragment; looping here
    // (not recursing) keeps a flood of empty frames from growing the stack.
    for (;;) {
        FrameEvent event = step(input);
        if (event.kind != FrameEventKind::need_more || input.empty()) return event;
    }
}

} // namespace engine::ws
