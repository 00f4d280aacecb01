// The WebSocket frame parser, the UTF-8 validator and close payloads, on client bytes cut at the points the
// input's first bytes choose. Invariants: no event reports more payload than it was given, or payload from
// outside the bytes it was given; a completed text message and a close reason are valid UTF-8; control
// payloads fit a control frame; whole and cut input give the same messages, controls and error; the
// incremental validator agrees with the whole-string one on any cuts.
#include "pieces.hpp"
#include "ws/frame_parser.hpp"
#include "ws/utf8_validator.hpp"

#include <string>
#include <vector>

namespace {

using engine::ws::FrameEventKind;
using engine::ws::Opcode;

// What a stream of frames meant, independent of where it was cut.
struct Log {
    std::vector<std::string> entries;
    bool operator==(const Log &) const = default;
};

Log run(std::string input, const std::vector<std::size_t> &cuts) {
    engine::ws::FrameParser parser(engine::ws::FrameParserLimits{.max_message_size = 1024});
    Log log;
    std::string message;
    Opcode message_opcode = Opcode::continuation;
    std::size_t delivered = 0;
    bool failed = false;
    fuzz::for_each_piece(input, cuts, [&](std::string_view piece) {
        if (failed) return;
        // The parser unmasks in place: the piece is part of `input`, this function's own copy.
        std::span<char> rest(input.data() + (piece.data() - input.data()), piece.size());
        for (;;) {
            const char *const given_begin = rest.data();
            const char *const given_end = rest.data() + rest.size();
            const auto event = parser.next(rest);
            if (event.kind == FrameEventKind::need_more) break;
            if (event.kind == FrameEventKind::error) {
                log.entries.push_back("error " + std::to_string(event.close_code));
                failed = true;
                return;
            }
            if (event.kind == FrameEventKind::control) {
                if (event.payload.size() > engine::ws::max_control_payload)
                    fuzz::invariant_broken("a control payload larger than a control frame allows");
                std::string entry = "control " + std::to_string(static_cast<int>(event.opcode)) + ' ' +
                                    std::string(event.payload);
                if (event.opcode == Opcode::close) {
                    if (!engine::ws::is_valid_utf8(event.close_reason))
                        fuzz::invariant_broken("a close reason that is not UTF-8 was reported");
                    if (event.close_code != engine::ws::close_code::no_status &&
                        !engine::ws::is_valid_close_code(event.close_code))
                        fuzz::invariant_broken("a close code not allowed on the wire was reported");
                    entry += " code " + std::to_string(event.close_code);
                }
                log.entries.push_back(std::move(entry));
                continue;
            }
            // message_data: a view into the bytes just given, which the parser consumed.
            if (event.payload.size() != 0 &&
                (event.payload.data() < given_begin || event.payload.data() + event.payload.size() > given_end ||
                 event.payload.data() + event.payload.size() > rest.data()))
                fuzz::invariant_broken("message data outside the bytes the parser was given");
            delivered += event.payload.size();
            if (delivered > input.size()) fuzz::invariant_broken("more payload reported than input given");
            if (event.message_start) {
                message.clear();
                message_opcode = event.opcode;
            }
            if (event.opcode != message_opcode) fuzz::invariant_broken("a message changed opcode mid-way");
            message.append(event.payload);
            if (event.message_end) {
                if (message_opcode == Opcode::text && !engine::ws::is_valid_utf8(message))
                    fuzz::invariant_broken("a text message that is not UTF-8 was delivered");
                log.entries.push_back("message " + std::to_string(static_cast<int>(message_opcode)) + ' ' + message);
            }
        }
    });
    if (!failed) log.entries.push_back(parser.in_message() ? "open message" : "between messages");
    return log;
}

void check_validator(std::string_view bytes, const std::vector<std::size_t> &cuts) {
    engine::ws::Utf8Validator validator;
    bool ok = true;
    fuzz::for_each_piece(bytes, cuts, [&](std::string_view piece) { ok = validator.feed(piece) && ok; });
    const bool whole = engine::ws::is_valid_utf8(bytes);
    if ((ok && validator.complete()) != whole) fuzz::invariant_broken("incremental and whole UTF-8 checks disagree");
    if (!ok && !validator.failed()) fuzz::invariant_broken("a failed feed left the validator unfailed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    std::string_view data(reinterpret_cast<const char *>(bytes), size);
    const auto cuts = fuzz::take_cuts(data);
    check_validator(data, cuts);
    const Log whole = run(std::string(data), {});
    if (!cuts.empty() && run(std::string(data), cuts) != whole)
        fuzz::invariant_broken("frames fed whole and in pieces give different results");
    return 0;
}
