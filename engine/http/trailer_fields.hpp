#pragma once
// Which trailer fields a request may carry. The parser never merges trailer fields into the request's headers
// (RFC 9110 6.5.1: a recipient MUST NOT, unless the field's definition says how) and hands none of them on, so
// most are dropped unseen. Some cannot have been sent in good faith: RFC 9110 6.5.1 says those fields needed
// before the content is processed (framing, routing, request modifiers, authentication, content metadata) must
// not be generated as trailers, and a proxy that keeps them (or merges them) may act on them where we did not.
// Those are a 400, like the other framing faults.

#include <cstddef>
#include <string_view>

namespace engine::http {

/// True when RFC 9110 6.5.1 forbids `lowercase_name` as a trailer field (the list is in the .cpp).
bool is_forbidden_trailer(std::string_view lowercase_name) noexcept;
/// Whether a response may send the field `name` (in any case) as a trailer: not one is_forbidden_trailer names.
bool may_send_as_trailer(std::string_view name) noexcept;

/// One field line of "Name: value\r\n" lines (ResponseHead::header_lines, ResponsePart::trailer_lines).
struct FieldLineView {
    std::string_view line;   ///< without its CRLF
    std::string_view name;
    std::string_view value;  ///< without the whitespace around it
};
/// Splits the next field line off the front of `lines`; false once none is left. Lines without a name are
/// skipped (producers validate their lines: never here).
bool next_field_line(std::string_view &lines, FieldLineView &field) noexcept;

/// Follows the name of one trailer field as llhttp reports it, in pieces wherever a feed() ends, without
/// allocating: only the start of a name is kept, which is enough since every forbidden name is short.
class TrailerFieldName {
  public:
    /// How many bytes of a name are kept: more than any forbidden name has.
    static constexpr std::size_t kept = 24;

    void reset() noexcept { length_ = 0; }
    void append(std::string_view piece) noexcept;
    /// The name is complete (its ':' arrived): why it is refused, or nullptr.
    const char *fault() const noexcept;

  private:
    char start_[kept] = {};  // lowercased
    std::size_t length_ = 0; // of the whole name
    char last_ = 0;
};

} // namespace engine::http
