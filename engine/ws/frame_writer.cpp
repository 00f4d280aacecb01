#include "ws/frame_writer.hpp"

#include <algorithm>

namespace engine::ws {
namespace {

constexpr std::uint64_t max_7bit_length = 125;
constexpr std::uint64_t max_16bit_length = 0xFFFF;


/// Length of the longest prefix of `text` (at most `limit` bytes) that does not end inside a
/// multi-byte UTF-8 sequence.
std::size_t utf8_prefix_length(std::string_view text, std::size_t limit) noexcept {
    if (text.size() <= limit) return text.size();
    std::size_t cut = limit;
    // Step back over continuation bytes (10xxxxxx) to the start of the character that straddles the cut.
    while (cut > 0 && (static_cast<std::uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
    return cut;
}

} // namespace

std::size_t write_frame_header(char (&out)[max_server_frame_header], Opcode opcode, bool fin,
                               std::uint64_t payload_length, std::uint8_t rsv) noexcept {
    out[0] = static_cast<char>((fin ? header_bits::fin : 0) | rsv | static_cast<std::uint8_t>(opcode));
    if (payload_length <= max_7bit_length) {
        out[1] = static_cast<char>(payload_length);
        return 2;
    }
    if (payload_length <= max_16bit_length) {
        out[1] = static_cast<char>(header_bits::length_16bit_marker);
        out[2] = static_cast<char>(payload_length >> 8);
        out[3] = static_cast<char>(payload_length);
        return 4;
    }
    out[1] = static_cast<char>(header_bits::length_64bit_marker);
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>(payload_length >> (56 - 8 * i));
    return 10;
}

void append_frame(std::string &out, Opcode opcode, bool fin, std::string_view payload, std::uint8_t rsv) {
    char header[max_server_frame_header];
    const std::size_t header_size = write_frame_header(header, opcode, fin, payload.size(), rsv);
    out.reserve(out.size() + header_size + payload.size());
    out.append(header, header_size);
    out.append(payload);
}

void append_message(std::string &out, Opcode opcode, std::string_view payload, std::size_t max_frame_payload) {
    if (max_frame_payload == 0 || payload.size() <= max_frame_payload) {
        append_frame(out, opcode, true, payload);
        return;
    }
    Opcode frame_opcode = opcode;
    while (!payload.empty()) {
        const std::size_t take = std::min(payload.size(), max_frame_payload);
        append_frame(out, frame_opcode, take == payload.size(), payload.substr(0, take));
        payload.remove_prefix(take);
        frame_opcode = Opcode::continuation;
    }
}

void append_close_frame(std::string &out, std::uint16_t code, std::string_view reason) {
    if (!is_valid_close_code(code)) {
        append_frame(out, Opcode::close, true, {});
        return;
    }
    constexpr std::size_t code_size = 2;
    char payload[max_control_payload];
    payload[0] = static_cast<char>(code >> 8);
    payload[1] = static_cast<char>(code);
    const std::size_t reason_size = utf8_prefix_length(reason, max_control_payload - code_size);
    std::copy_n(reason.data(), reason_size, payload + code_size);
    append_frame(out, Opcode::close, true, std::string_view(payload, code_size + reason_size));
}

} // namespace engine::ws
