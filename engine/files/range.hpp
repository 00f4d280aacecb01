#pragma once
// Single byte-range requests (RFC 9110 §14): the Range header against a file size, and the If-Range
// validator that decides whether the Range header counts at all. Multipart/byteranges responses are
// not produced: a request for several ranges gets the whole file, which §14.2 allows.

#include <cstdint>
#include <ctime>
#include <string_view>

namespace engine::files {

enum class RangeOutcome : std::uint8_t {
    whole_file,     ///< no usable Range: unknown unit, several ranges, malformed syntax -> 200
    satisfiable,    ///< one range inside the file -> 206 with Content-Range
    unsatisfiable,  ///< starts past the end, last < first, "-0", or any int-range on an empty file -> 416
};

struct ByteRange {
    RangeOutcome outcome = RangeOutcome::whole_file;
    std::uint64_t offset = 0;  ///< satisfiable only
    std::uint64_t length = 0;  ///< satisfiable only; never 0
};

/// Parses a Range field value such as "bytes=0-99", "bytes=100-" or "bytes=-100" against `file_size`.
/// The unit is matched case-insensitively; a last-pos past the end is clamped; a suffix longer than the
/// file means the whole file (as a 206 of all bytes). Positions too large for 64 bits saturate, so they
/// behave as "past the end". A suffix range on an empty file cannot be written as a Content-Range, so
/// it is answered as whole_file (an empty 200).
ByteRange parse_range(std::string_view field_value, std::uint64_t file_size) noexcept;

/// If-Range (§13.1.5): true when the Range header may be honoured. An entity-tag validator must match
/// `current_etag` by strong comparison (a weak tag never does); a date validator must equal
/// `last_modified` exactly, and only counts when `last_modified` is at least one second before `now`
/// (a strong date validator, §8.8.2.2). Anything else, including an unparsable value, means "send the
/// whole file".
bool if_range_allows_range(std::string_view if_range_value, std::string_view current_etag,
                           std::time_t last_modified, std::time_t now) noexcept;

} // namespace engine::files
