#include "http2/preface.hpp"

#include <algorithm>

namespace engine::http2 {

namespace {

// "PRI " is where the preface stops being a possible HTTP/1 request line: no registered method is "PRI" (RFC 9113
// 3.4 reserves it for this), so the rest of the preface is left to nghttp2, which rejects a wrong one with GOAWAY.
constexpr std::size_t decisive_length = 4;

} // namespace

PrefaceMatch match_client_preface(std::string_view first_bytes) noexcept {
    const std::size_t compared = std::min(first_bytes.size(), client_preface.size());
    if (first_bytes.substr(0, compared) != client_preface.substr(0, compared)) return PrefaceMatch::http1;
    return compared >= decisive_length ? PrefaceMatch::http2 : PrefaceMatch::need_more;
}

} // namespace engine::http2
