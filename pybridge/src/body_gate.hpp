#pragma once
// Flow control of one request body between its reactor (producer) and the loop thread (consumer).

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bridge {

/// Shared by the reactor (which adds bytes as they arrive and pauses reading above the high-water mark) and
/// the loop thread (which subtracts what the app consumed and resumes reading when it drops back below).
/// Resume is sent only on the downward crossing, pause is decided on every arrival, so the two never race
/// into a stalled body: whichever side moves the count last sees the crossing.
struct BodyGate {
    std::atomic<std::int64_t> unconsumed{0};
    /// Set when the app no longer wants the body (response done, app finished): the reactor then drops body
    /// bytes instead of queueing them, and never pauses again.
    std::atomic<bool> discard{false};
};

/// Bytes of unread body a request may buffer on the loop side before its reactor stops reading: the same
/// 1 MiB as the send side's high-water mark, so a 1 MiB upload that the app reads as it comes never pauses
/// (see pybridge/ENGINE_REQUESTS.md #1 for the engine bug pauses currently run into).
inline constexpr std::int64_t body_high_water_bytes = 1024 * 1024;

} // namespace bridge
