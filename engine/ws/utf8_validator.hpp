#pragma once
// Incremental UTF-8 validation for WebSocket text messages, which arrive in pieces (fragments, and
// each fragment across several recv buffers) and must fail fast: RFC 6455 8.1 says to fail the
// connection as soon as the bytes cannot be valid UTF-8, not at the end of the message.
//
// Written by hand because no Debian package (12 or 13) offers an incremental validator: simdutf is
// not packaged for Debian 12, and libutf8proc / ICU validate whole strings only, so a code point split
// across two fragments would need its own carry-over logic anyway.

#include <cstdint>
#include <string_view>

namespace engine::ws {

class Utf8Validator {
  public:
    /// Feeds the next bytes of the text. Returns false once the text can no longer be valid UTF-8
    /// (an invalid byte, an overlong form, a surrogate, a code point past U+10FFFF); it stays false
    /// until reset(). A code point may be split across calls.
    bool feed(std::string_view bytes) noexcept;
    /// True when everything fed so far is valid and ends on a code-point boundary.
    bool complete() const noexcept { return state_ == accept_state; }
    bool failed() const noexcept { return state_ == reject_state; }
    void reset() noexcept { state_ = accept_state; }

    static constexpr std::uint8_t accept_state = 0;
    static constexpr std::uint8_t reject_state = 1;

  private:
    std::uint8_t state_ = accept_state;
};

/// Whole-string validation (close-frame reasons and tests).
bool is_valid_utf8(std::string_view bytes) noexcept;

} // namespace engine::ws
