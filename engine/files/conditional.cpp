#include "files/conditional.hpp"

#include "files/etag.hpp"
#include "http/date_cache.hpp"

namespace engine::files {

bool is_not_modified(std::optional<std::string_view> if_none_match, std::optional<std::string_view> if_modified_since,
                     std::string_view current_etag, std::time_t last_modified) noexcept {
    if (if_none_match) return if_none_match_matches(*if_none_match, current_etag);
    if (!if_modified_since) return false;
    auto since = http::parse_http_date(*if_modified_since);
    return since && last_modified <= *since;
}

} // namespace engine::files
