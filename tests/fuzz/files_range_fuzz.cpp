// Range, ETag and conditional-request parsing. The input is a file size (8 bytes) then newline-separated
// field values: Range, If-Range, If-None-Match, If-Modified-Since, and a second entity tag. Invariants: a
// satisfiable range lies inside the file and is not empty; strong comparison is symmetric and implies weak
// (If-None-Match) matching; "*" matches; If-None-Match, when present, alone decides the 304.
#include "files/conditional.hpp"
#include "files/etag.hpp"
#include "files/range.hpp"
#include "pieces.hpp"

#include <cstring>

namespace {

std::string_view next_field(std::string_view &data) {
    const std::size_t newline = data.find('\n');
    const std::string_view field = data.substr(0, newline);
    data = newline == std::string_view::npos ? std::string_view{} : data.substr(newline + 1);
    return field;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    using namespace engine::files;
    if (size < 8) return 0;
    std::uint64_t file_size = 0;
    std::memcpy(&file_size, bytes, sizeof file_size);
    if (bytes[0] & 1) file_size &= 0xFFFFF;  // half the inputs use sizes a real file has
    std::string_view data(reinterpret_cast<const char *>(bytes) + 8, size - 8);
    const std::string_view range = next_field(data), if_range = next_field(data), if_none_match = next_field(data),
                           if_modified_since = next_field(data), other_tag = next_field(data);

    const ByteRange parsed = parse_range(range, file_size);
    if (parsed.outcome == RangeOutcome::satisfiable) {
        if (parsed.length == 0) fuzz::invariant_broken("a satisfiable range of length 0");
        if (parsed.offset >= file_size || parsed.length > file_size - parsed.offset)
            fuzz::invariant_broken("a satisfiable range outside the file");
    } else if (parsed.offset != 0 || parsed.length != 0) {
        fuzz::invariant_broken("an unsatisfied range with an offset or length");
    }

    const EntityTag tag(file_size, static_cast<std::int64_t>(file_size >> 3), file_size ^ 0x5a5a);
    const std::time_t last_modified = static_cast<std::time_t>(file_size & 0x7FFFFFFF);
    (void)if_range_allows_range(if_range, tag.view(), last_modified, last_modified + 10);
    (void)if_range_allows_range(if_range, other_tag, last_modified, last_modified);

    if (etags_match_strong(other_tag, if_none_match) != etags_match_strong(if_none_match, other_tag))
        fuzz::invariant_broken("strong comparison is not symmetric");
    if (etags_match_strong(if_none_match, other_tag) && !if_none_match_matches(if_none_match, other_tag))
        fuzz::invariant_broken("strongly matching tags do not match weakly");
    if (!if_none_match_matches("*", tag.view())) fuzz::invariant_broken("'*' does not match");
    if (!etags_match_strong(tag.view(), tag.view())) fuzz::invariant_broken("a made tag does not match itself");

    const bool weak = if_none_match_matches(if_none_match, tag.view());
    if (is_not_modified(if_none_match, if_modified_since, tag.view(), last_modified) != weak)
        fuzz::invariant_broken("If-None-Match present does not alone decide the 304");
    (void)is_not_modified(std::nullopt, if_modified_since, tag.view(), last_modified);
    return 0;
}
