#pragma once
// Client -> app flow control of a WebSocket session. It reuses BodyGate (the reactor adds, the loop subtracts,
// pause above the mark, resume on the downward crossing) with one twist: a queued message weighs its size plus
// a fixed overhead, so one count bounds both the number of unreceived messages and their bytes.

#include <cstddef>
#include <cstdint>

#include "body_gate.hpp"

namespace bridge {

/// With the 1 MiB mark: the 17th small unreceived message, or 1 MiB of payload, pauses the session.
inline constexpr std::int64_t ws_message_overhead_bytes = body_high_water_bytes / 16;

inline std::int64_t ws_message_weight(std::size_t payload_size) noexcept {
    return static_cast<std::int64_t>(payload_size) + ws_message_overhead_bytes;
}

} // namespace bridge
