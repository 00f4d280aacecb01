#pragma once
// Per-connection budgets for the frames a client can send cheaply and make us work for: the HTTP/2 floods of
// CVE-2019-9512..9518 (PING, SETTINGS, PRIORITY, empty DATA), rapid reset (CVE-2023-44487) and, on the stream side,
// refused streams. Debian 12's nghttp2 (1.52) has none of the library's later rate limits, so they are counted
// here, the same on every nghttp2 version. Each kind is a token bucket: a burst, then a steady rate; a client over
// it gets GOAWAY with ENHANCE_YOUR_CALM and the connection closes. Pure: the caller passes the clock.

#include <array>
#include <cstdint>
#include <string_view>

namespace engine::http2 {

enum class FloodKind : std::uint8_t {
    reset,       ///< RST_STREAM from the client, and streams we refused (over max concurrent streams)
    settings,    ///< SETTINGS frames (each owes an ACK)
    ping,        ///< PING frames (each owes an ACK)
    priority,    ///< PRIORITY frames (no answer, but tree work in the library)
    empty_data,  ///< DATA frames with no payload that do not end their stream
    count_,
};

/// The name of a kind for the debug log ("rapid reset", ...).
std::string_view flood_name(FloodKind kind) noexcept;

class FloodGuard {
  public:
    FloodGuard() noexcept;
    /// One more frame of `kind` at `now_ms`; false when the client is over its budget for that kind.
    bool allow(FloodKind kind, std::uint64_t now_ms) noexcept;

  private:
    struct Bucket {
        double tokens;
        std::uint64_t last_ms = 0;
    };
    std::array<Bucket, static_cast<std::size_t>(FloodKind::count_)> buckets_;
};

} // namespace engine::http2
