#pragma once
// The 304 decision for GET/HEAD of a static file (RFC 9110 §13.2.2, steps 3 and 4). If-Match and
// If-Unmodified-Since (412) are not evaluated: they guard state-changing requests, and this module
// only serves reads.

#include <ctime>
#include <optional>
#include <string_view>

namespace engine::files {

/// True when the client's cached copy is current and the answer is 304 Not Modified:
///  - If-None-Match present: it matches `current_etag` by weak comparison ("*" matches);
///    If-Modified-Since is then ignored, whatever it says (§13.1.3);
///  - otherwise If-Modified-Since present, a valid HTTP-date, and `last_modified` is not after it.
/// An unparsable If-Modified-Since is ignored (a full response is always a correct answer).
bool is_not_modified(std::optional<std::string_view> if_none_match, std::optional<std::string_view> if_modified_since,
                     std::string_view current_etag, std::time_t last_modified) noexcept;

} // namespace engine::files
