#pragma once
// Counters of the bridge's live objects, exposed as `_native.live_objects()`. The leak tests assert that
// every counter returns to zero once requests have ended: a request that keeps anything alive shows here.

#include <atomic>
#include <cstdint>

#include <pybind11/pybind11.h>

namespace bridge {

struct LiveObjects {
    std::atomic<std::int64_t> servers{0};           ///< AsgiServer and WsgiServer objects
    std::atomic<std::int64_t> exchanges{0};         ///< per-request AsgiExchange objects
    std::atomic<std::int64_t> websockets{0};        ///< per-connection AsgiWebSocket objects
    std::atomic<std::int64_t> registered{0};        ///< exchanges a server still tracks (request not ended)
    std::atomic<std::int64_t> external_buffers{0};  ///< Python bytes lent to the engine, not yet released
    std::atomic<std::int64_t> pending_futures{0};   ///< receive/send futures the bridge still holds
    std::atomic<std::int64_t> wsgi_channels{0};     ///< per-request WSGI channels (reactor <-> WSGI thread)
    std::atomic<std::int64_t> wsgi_objects{0};      ///< wsgi.input streams and start_response responders
};

LiveObjects &live_objects();

/// Scope guard for counters that follow an object's lifetime.
class LiveCount {
  public:
    explicit LiveCount(std::atomic<std::int64_t> &counter) noexcept : counter_(&counter) { counter_->fetch_add(1); }
    ~LiveCount() { counter_->fetch_sub(1); }
    LiveCount(const LiveCount &) = delete;
    LiveCount &operator=(const LiveCount &) = delete;

  private:
    std::atomic<std::int64_t> *counter_;
};

void register_live_objects(pybind11::module_ &m);

} // namespace bridge
