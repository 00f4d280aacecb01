#include "http/line_rules.hpp"

#include "engine/ascii.hpp"

#include <cstddef>

namespace engine::http {
namespace {

// Names the first fault of a head that head_line_fault() found faulty (the slow path, errors only).
const char *first_head_line_fault(std::string_view head) noexcept {
    for (std::size_t i = 0; i < head.size(); ++i) {
        const char next = i + 1 < head.size() ? head[i + 1] : '\0';
        if (head[i] == '\r' && next != '\n') return "CR not followed by LF";
        if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return "line not ended by CRLF";
        // After an empty value llhttp 8.1 reports the folded text as the value itself ("Content-Length:\r\n 5"
        // is a length of 5), so the fold can only be seen in the raw bytes.
        if (head[i] == '\n' && is_optional_whitespace(next))
            return "header line starts with whitespace (obsolete line folding)";
    }
    return "line not ended by CRLF";
}

} // namespace

const char *head_line_fault(std::string_view head) noexcept {
    if (!head.ends_with("\r\n\r\n")) return "head not ended by an empty line";
    // Every head of every request passes here, so the check is one branch-free pass that the compiler
    // vectorises: a CR exactly where an LF follows (no bare CR, no bare LF), and no LF before SP or HTAB.
    const auto *bytes = reinterpret_cast<const unsigned char *>(head.data());
    unsigned faults = bytes[0] == '\n';
    for (std::size_t i = 0; i + 1 < head.size(); ++i) {
        const unsigned char c = bytes[i], next = bytes[i + 1];
        faults |= static_cast<unsigned>(c == '\r') ^ static_cast<unsigned>(next == '\n');
        faults |= static_cast<unsigned>(c == '\n') & static_cast<unsigned>(next == ' ' || next == '\t');
    }
    return faults == 0 ? nullptr : first_head_line_fault(head);
}

void ChunkedLineCheck::reset() noexcept {
    state_ = State::size_line;
    announced_size_ = 0;
    data_left_ = 0;
}

const char *ChunkedLineCheck::framing(std::string_view bytes) noexcept {
    for (const char c : bytes)
        if (const char *fault = step(c)) return fault;
    return nullptr;
}

const char *ChunkedLineCheck::data(std::uint64_t length) noexcept {
    if (length == 0) return nullptr; // llhttp reports empty spans when a feed() ends inside data
    if (state_ == State::after_size) {
        if (announced_size_ == 0) return fail("chunk data after the last chunk");
        data_left_ = announced_size_;
        state_ = State::data;
    }
    if (state_ != State::data || length > data_left_) return fail("chunk data where the framing has none");
    data_left_ -= length;
    if (data_left_ == 0) state_ = State::data_cr;
    return nullptr;
}

const char *ChunkedLineCheck::expect(char c, char wanted, State next, const char *fault) noexcept {
    if (c != wanted) return fail(fault);
    state_ = next;
    return nullptr;
}

const char *ChunkedLineCheck::in_line(char c, State at_cr, const char *fault) noexcept {
    if (c == '\n') return fail(fault);
    if (c == '\r') state_ = at_cr;
    return nullptr;
}

const char *ChunkedLineCheck::step(char c) noexcept {
    switch (state_) {
    case State::size_line:
        // Chunk extensions cannot hold a CR or LF (not even quoted), so the first CR ends the line.
        return in_line(c, State::size_line_cr, "chunk-size line not ended by CRLF");
    case State::size_line_cr:
        return expect(c, '\n', State::after_size, "chunk-size line not ended by CRLF");
    case State::after_size:
        // Data would have come through data() first: this size line was the last chunk's.
        if (announced_size_ != 0) return fail("chunk data missing");
        state_ = State::trailer_line_start;
        return step(c);
    case State::data:
        return fail("framing byte inside chunk data");
    case State::data_cr:
        return expect(c, '\r', State::data_lf, "chunk data not followed by CRLF");
    case State::data_lf:
        return expect(c, '\n', State::size_line, "chunk data not followed by CRLF");
    case State::trailer_line_start:
        // An empty line ends the section.
        if (c == '\r' || c == '\n') return in_line(c, State::blank_line_cr, "trailer section not ended by CRLF");
        if (is_optional_whitespace(c)) return fail("trailer line starts with whitespace (obsolete line folding)");
        state_ = State::trailer_line;
        return nullptr;
    case State::trailer_line:
        return in_line(c, State::trailer_line_cr, "trailer line not ended by CRLF");
    case State::trailer_line_cr:
        return expect(c, '\n', State::trailer_line_start, "trailer line not ended by CRLF");
    case State::blank_line_cr:
        return expect(c, '\n', State::done, "trailer section not ended by CRLF");
    case State::done:
        return fail("bytes after the end of the chunked body");
    case State::failed:
        return "chunked body already rejected";
    }
    return nullptr;
}

} // namespace engine::http
