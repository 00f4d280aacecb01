#pragma once
// Static-files routes as a front end sets them up: the options of each mount, an observer of the answers, and a
// Handler decorator that answers the routes on the reactor threads (files/static_route_handler.hpp is the
// engine's private side: the class behind make_static_route_handler, and the route matching).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/handler.hpp"
#include "engine/request.hpp"

namespace engine::files {

/// Settings of one static-files mount, checked once when the mount is configured (validate_static_files_options);
/// the runtime assumes they are valid.
struct StaticFilesOptions {
    std::string root;                             ///< directory served; must exist when StaticFiles is built
    std::string index_file = "index.html";        ///< served for a directory; "" = directories are 404
    std::optional<std::uint32_t> expires_seconds; ///< adds "Cache-Control: max-age=N" to 200/206/304
};

/// One route and the directory served under it.
struct StaticMount {
    std::string route;  ///< as the user wrote it; normalize_route rules
    StaticFilesOptions options;
};

/// Told about each request a static route answered, on the reactor thread that answered it, right after the answer
/// was queued: how the access log and the request metrics see requests that never reach the application. It runs
/// on the network path, so it must not block (no GIL, no I/O): queue the record and return.
class StaticAnswerObserver {
  public:
    virtual ~StaticAnswerObserver() = default;
    /// `request` was moved out of the exchange and is the observer's now. `status` is the answer's; `body_bytes` the
    /// bytes of body queued (0 for HEAD, 304 and an empty file); `elapsed` runs from on_request to the queued answer.
    virtual void on_static_answer(ExchangeId id, std::unique_ptr<Request> request, std::uint16_t status,
                                  std::uint64_t body_bytes, std::chrono::nanoseconds elapsed) = 0;
};

/// A StaticRouteHandler (files/static_route_handler.hpp): requests under one of `mounts` are answered on the reactor
/// thread, everything else goes to `inner`. Throws std::invalid_argument / std::runtime_error with one line when a
/// route or its options cannot work, a root is not a readable directory, or a route is given twice. `mounts` must
/// not be empty and `inner` must not be null; `observer` may be null (nothing reported).
std::shared_ptr<Handler> make_static_route_handler(std::vector<StaticMount> mounts, std::shared_ptr<Handler> inner,
                                                   std::shared_ptr<StaticAnswerObserver> observer = nullptr);

} // namespace engine::files
