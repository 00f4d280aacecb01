#pragma once
// Entity tags for static files (RFC 9110 §8.8.3): making a strong tag from a file's identity, and
// the two comparison functions of §8.8.3.2 over the list syntax of If-None-Match / If-Match.

#include <cstdint>
#include <string_view>

namespace engine::files {

/// A strong ETag in a fixed buffer, so producing one allocates nothing.
class EntityTag {
  public:
    /// `"<size>-<mtime ns>-<inode>"`, each in lowercase hex. The inode is in it so that a file replaced
    /// by another of the same size within one mtime tick (a rename over it) still gets a new tag.
    EntityTag(std::uint64_t size, std::int64_t mtime_ns, std::uint64_t inode) noexcept;
    std::string_view view() const noexcept { return {text_, length_}; }

  private:
    // Two quotes, three 16-digit fields and two dashes.
    static constexpr std::size_t capacity = 2 + 3 * 16 + 2;
    char text_[capacity];
    std::size_t length_ = 0;
};

/// Strong comparison: both tags are strong (no W/ prefix) and their opaque parts are identical.
/// Malformed tags never match.
bool etags_match_strong(std::string_view a, std::string_view b) noexcept;

/// True if `field_value` (an If-None-Match value: "*" or a comma list of entity tags) matches
/// `current_etag` under weak comparison (W/ prefixes ignored), as §13.1.2 requires for If-None-Match.
/// "*" matches any existing representation. A malformed list matches nothing, so the full response
/// is sent: the safe failure.
bool if_none_match_matches(std::string_view field_value, std::string_view current_etag) noexcept;

} // namespace engine::files
