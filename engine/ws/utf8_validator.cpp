#include "ws/utf8_validator.hpp"

#include <array>
#include <cstring>

namespace engine::ws {
namespace {

// A table-driven DFA over byte classes, built at compile time from the well-formed byte sequences
// of Unicode 15, Table 3-7. Each byte costs one class lookup and one transition lookup; runs of
// ASCII between code points are skipped eight bytes at a time.

enum ByteClass : std::uint8_t {
    ascii,          // 00..7F
    cont_80_8f,     // 80..8F
    cont_90_9f,     // 90..9F
    cont_a0_bf,     // A0..BF
    never,          // C0, C1, F5..FF: cannot appear anywhere
    lead2,          // C2..DF
    lead3_e0,       // E0: next byte A0..BF (shorter forms would be overlong)
    lead3,          // E1..EC, EE, EF
    lead3_ed,       // ED: next byte 80..9F (A0..BF would encode surrogates D800..DFFF)
    lead4_f0,       // F0: next byte 90..BF (overlong otherwise)
    lead4,          // F1..F3
    lead4_f4,       // F4: next byte 80..8F (above U+10FFFF otherwise)
};
constexpr std::size_t class_count = lead4_f4 + 1;

enum State : std::uint8_t {
    accept = Utf8Validator::accept_state,
    reject = Utf8Validator::reject_state,
    need1,          // one more continuation byte 80..BF
    need2,          // two more, any 80..BF
    need2_after_e0, // A0..BF, then need1
    need2_after_ed, // 80..9F, then need1
    need3_after_f0, // 90..BF, then need2
    need3,          // 80..BF, then need2
    need3_after_f4, // 80..8F, then need2
};
constexpr std::size_t state_count = need3_after_f4 + 1;

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
    std::array<std::uint8_t, 256> classes{};
    for (int byte = 0; byte < 256; ++byte) {
        std::uint8_t c = never;
        if (byte <= 0x7F) c = ascii;
        else if (byte <= 0x8F) c = cont_80_8f;
        else if (byte <= 0x9F) c = cont_90_9f;
        else if (byte <= 0xBF) c = cont_a0_bf;
        else if (byte <= 0xC1) c = never;
        else if (byte <= 0xDF) c = lead2;
        else if (byte == 0xE0) c = lead3_e0;
        else if (byte == 0xED) c = lead3_ed;
        else if (byte <= 0xEF) c = lead3;
        else if (byte == 0xF0) c = lead4_f0;
        else if (byte <= 0xF3) c = lead4;
        else if (byte == 0xF4) c = lead4_f4;
        classes[static_cast<std::size_t>(byte)] = c;
    }
    return classes;
}

constexpr bool is_continuation(std::uint8_t c) { return c == cont_80_8f || c == cont_90_9f || c == cont_a0_bf; }

constexpr std::array<std::uint8_t, state_count * class_count> make_transitions() {
    std::array<std::uint8_t, state_count * class_count> next{};
    for (auto &entry : next) entry = reject;
    auto set = [&next](std::uint8_t from, std::uint8_t byte_class, std::uint8_t to) {
        next[from * class_count + byte_class] = to;
    };
    set(accept, ascii, accept);
    set(accept, lead2, need1);
    set(accept, lead3_e0, need2_after_e0);
    set(accept, lead3, need2);
    set(accept, lead3_ed, need2_after_ed);
    set(accept, lead4_f0, need3_after_f0);
    set(accept, lead4, need3);
    set(accept, lead4_f4, need3_after_f4);
    for (std::uint8_t c = 0; c < class_count; ++c) {
        if (!is_continuation(c)) continue;
        set(need1, c, accept);
        set(need2, c, need1);
        set(need3, c, need2);
    }
    set(need2_after_e0, cont_a0_bf, need1);
    set(need2_after_ed, cont_80_8f, need1);
    set(need2_after_ed, cont_90_9f, need1);
    set(need3_after_f0, cont_90_9f, need2);
    set(need3_after_f0, cont_a0_bf, need2);
    set(need3_after_f4, cont_80_8f, need2);
    return next;
}

constexpr auto byte_classes = make_byte_classes();
constexpr auto transitions = make_transitions();

constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

} // namespace

bool Utf8Validator::feed(std::string_view bytes) noexcept {
    std::uint8_t state = state_;
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const auto *end = p + bytes.size();
    while (p != end) {
        if (state == accept) {
            // Between code points, skip ASCII a word at a time (most text is mostly ASCII).
            while (end - p >= 8) {
                std::uint64_t word;
                std::memcpy(&word, p, sizeof word);
                if (word & high_bits) break;
                p += 8;
            }
            if (p == end) break;
        }
        state = transitions[state * class_count + byte_classes[*p++]];
        if (state == reject) break;
    }
    state_ = state;
    return state != reject;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
    Utf8Validator validator;
    return validator.feed(bytes) && validator.complete();
}

} // namespace engine::ws
