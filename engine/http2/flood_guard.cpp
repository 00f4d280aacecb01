#include "http2/flood_guard.hpp"

#include <algorithm>

namespace engine::http2 {

namespace {

struct Budget {
    double burst;       ///< frames a client may send at once
    double per_second;  ///< then this many per second
};

// Generous for any real client (browsers send a handful of SETTINGS and PINGs per connection, and reset streams
// when a user navigates away: tens, not thousands, per second), tight enough that a flood costs the attacker far
// more than us. The reset budget is nghttp2's own default from 1.57 on (burst 1000, 33 per second).
constexpr std::array<Budget, static_cast<std::size_t>(FloodKind::count_)> budgets = {{
    {1000, 33},  // reset
    {100, 10},   // settings
    {100, 10},   // ping
    {1000, 100}, // priority
    {100, 10},   // empty_data
}};

} // namespace

std::string_view flood_name(FloodKind kind) noexcept {
    switch (kind) {
    case FloodKind::reset: return "rapid reset";
    case FloodKind::settings: return "SETTINGS flood";
    case FloodKind::ping: return "PING flood";
    case FloodKind::priority: return "PRIORITY flood";
    case FloodKind::empty_data: return "empty DATA flood";
    case FloodKind::count_: break;
    }
    return "flood";
}

FloodGuard::FloodGuard() noexcept {
    for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] = Bucket{budgets[i].burst, 0};
}

bool FloodGuard::allow(FloodKind kind, std::uint64_t now_ms) noexcept {
    const Budget &budget = budgets[static_cast<std::size_t>(kind)];
    Bucket &bucket = buckets_[static_cast<std::size_t>(kind)];
    if (now_ms > bucket.last_ms) {
        bucket.tokens = std::min(budget.burst, bucket.tokens + static_cast<double>(now_ms - bucket.last_ms) *
                                                                   budget.per_second / 1000.0);
        bucket.last_ms = now_ms;
    }
    if (bucket.tokens < 1.0) return false;
    bucket.tokens -= 1.0;
    return true;
}

} // namespace engine::http2
