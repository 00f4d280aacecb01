#pragma once
// RFC 9112's line rules, checked on the raw bytes whatever llhttp accepted: every line ends in CRLF (2.2),
// no field line starts with whitespace (5.2: obs-fold), and a chunk's data is followed by exactly CRLF (7.1).
// Debian 12's llhttp 8.1 is built without LLHTTP_STRICT_MODE and lets each of these through somewhere (a
// bare LF ends the head or the trailers, the two bytes after chunk data and the byte after a chunk-size
// line's CR are skipped unread, a fold after an empty value is merged); a server and a proxy in front of it
// that split such bytes differently disagree on where a request ends (request smuggling). The checks do
// not depend on what the llhttp in use lets through, so they hold on Debian 13's llhttp 9 as well.

#include <cstdint>
#include <string_view>

namespace engine::http {

/// Checks a complete request head (request line through the blank line). Returns why it breaks the
/// line rules, or nullptr when it keeps them.
const char *head_line_fault(std::string_view head) noexcept;

/// Follows the bytes of a chunked body that are not chunk data: chunk-size lines, the CRLF after each
/// chunk's data, the trailer section and its blank line. llhttp parses their content; this checks how
/// their lines end and begin. Fed incrementally, so the body may be split at any byte boundary.
class ChunkedLineCheck {
  public:
    /// Before the first byte of a chunked body.
    void reset() noexcept;

    /// The size llhttp announced for the chunk whose size line ends with the framing bytes fed so far
    /// (llhttp's on_chunk_header, which comes before that chunk's data and before its trailers).
    void announce_chunk(std::uint64_t size) noexcept { announced_size_ = size; }

    /// The next framing bytes in stream order. Returns the first fault, or nullptr; after a fault the
    /// checker is unusable until reset().
    const char *framing(std::string_view bytes) noexcept;

    /// `length` bytes of chunk data follow the framing bytes fed so far. Returns a fault or nullptr.
    const char *data(std::uint64_t length) noexcept;

    /// The framing bytes fed so far end exactly at the blank line after the trailers.
    bool complete() const noexcept { return state_ == State::done; }

  private:
    enum class State : std::uint8_t {
        size_line,    // a chunk-size line (size and extensions), up to its CR
        size_line_cr, // its CR seen, LF next
        after_size,   // its LF seen: chunk data if the size was not 0, else the trailer section
        data,         // inside chunk data
        data_cr,      // the chunk data ended, CR next
        data_lf,      // LF next
        trailer_line_start,
        trailer_line,
        trailer_line_cr,
        blank_line_cr, // the CR of the blank line ending the body seen, LF next
        done,
        failed,
    };

    const char *fail(const char *why) noexcept {
        state_ = State::failed;
        return why;
    }
    const char *step(char c) noexcept;
    // `c` must be `wanted`; then the state moves on to `next`.
    const char *expect(char c, char wanted, State next, const char *fault) noexcept;
    // Inside a line: a CR ends it (its LF is due in state `at_cr`), a bare LF is a fault.
    const char *in_line(char c, State at_cr, const char *fault) noexcept;

    State state_ = State::size_line;
    std::uint64_t announced_size_ = 0;
    std::uint64_t data_left_ = 0;
};

} // namespace engine::http
