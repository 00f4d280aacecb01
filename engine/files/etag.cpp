#include "files/etag.hpp"

#include <optional>

#include "engine/ascii.hpp"

namespace engine::files {
namespace {

char *append_hex(char *out, std::uint64_t value) noexcept {
    static constexpr char digits[] = "0123456789abcdef";
    char reversed[16];
    std::size_t count = 0;
    do {
        reversed[count++] = digits[value & 0xf];
        value >>= 4;
    } while (value != 0);
    while (count > 0) *out++ = reversed[--count];
    return out;
}

struct ParsedTag {
    bool weak = false;
    std::string_view opaque;  ///< including the quotes
};

bool is_etag_char(unsigned char c) noexcept {
    // etagc = %x21 / %x23-7E / obs-text: anything visible but the double quote.
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/// Parses one entity-tag at the start of `text`, advancing `text` past it.
std::optional<ParsedTag> take_entity_tag(std::string_view &text) noexcept {
    ParsedTag tag;
    std::size_t pos = 0;
    if (text.starts_with("W/")) {  // the weak indicator is case-sensitive (§8.8.3)
        tag.weak = true;
        pos = 2;
    }
    if (pos >= text.size() || text[pos] != '"') return std::nullopt;
    std::size_t close = pos + 1;
    while (close < text.size() && is_etag_char(static_cast<unsigned char>(text[close]))) ++close;
    if (close >= text.size() || text[close] != '"') return std::nullopt;
    tag.opaque = text.substr(pos, close + 1 - pos);
    text.remove_prefix(close + 1);
    return tag;
}

std::optional<ParsedTag> parse_single_tag(std::string_view text) noexcept {
    text = trim_leading_whitespace(text);
    auto tag = take_entity_tag(text);
    if (!tag || !trim_whitespace(text).empty()) return std::nullopt;
    return tag;
}

} // namespace

EntityTag::EntityTag(std::uint64_t size, std::int64_t mtime_ns, std::uint64_t inode) noexcept {
    char *out = text_;
    *out++ = '"';
    out = append_hex(out, size);
    *out++ = '-';
    out = append_hex(out, static_cast<std::uint64_t>(mtime_ns));
    *out++ = '-';
    out = append_hex(out, inode);
    *out++ = '"';
    length_ = static_cast<std::size_t>(out - text_);
}

bool etags_match_strong(std::string_view a, std::string_view b) noexcept {
    auto left = parse_single_tag(a);
    auto right = parse_single_tag(b);
    return left && right && !left->weak && !right->weak && left->opaque == right->opaque;
}

bool if_none_match_matches(std::string_view field_value, std::string_view current_etag) noexcept {
    auto current = parse_single_tag(current_etag);
    if (!current) return false;

    std::string_view rest = trim_whitespace(field_value);
    if (rest == "*") return true;

    // #entity-tag: elements separated by commas with optional whitespace; empty elements are allowed
    // and ignored (RFC 9110 §5.6.1.2). Commas may also appear inside a tag, so tags are parsed, not split.
    bool matched = false;
    while (true) {
        rest = trim_leading_whitespace(rest);
        if (rest.empty()) break;
        if (rest.front() == ',') {
            rest.remove_prefix(1);
            continue;
        }
        auto tag = take_entity_tag(rest);
        if (!tag) return false;
        if (tag->opaque == current->opaque) matched = true;
        rest = trim_leading_whitespace(rest);
        if (!rest.empty() && rest.front() != ',') return false;
    }
    return matched;
}

} // namespace engine::files
