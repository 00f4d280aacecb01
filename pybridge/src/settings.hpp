#pragma once
// The settings that cross the bridge: uring_granian.http.EngineSettings (a frozen dataclass mirroring
// engine::ServerConfig field for field) read into the engine's struct, plus the bridge's own options.

#include <cstddef>
#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "engine/config.hpp"
#include "engine/handler.hpp"

namespace engine::files {
class StaticAnswerObserver;
}

namespace bridge {

/// Reads an EngineSettings object (listen, http1, timeouts, websocket, threads, pin_threads, tls). Throws
/// pybind11::type_error / value_error naming the field that does not fit. threads == 0 becomes the number
/// of CPUs this process may run on, so the bridge knows the reactor count before the engine starts.
engine::ServerConfig engine_config_from(pybind11::handle settings);

/// Only EngineSettings.listen, read as engine_config_from reads it.
engine::ListenConfig listen_config_from(pybind11::handle settings);

/// `handler`, or when EngineSettings.static_files is set, `handler` behind the static route handler
/// (engine::files::make_static_route_handler) that answers the static routes on the reactors. Throws engine::StartupError with one line when a route or a
/// mount cannot be used (the mount is opened here, once per worker).
/// With `observer` (may be null), every static answer is reported to it.
std::shared_ptr<engine::Handler> with_static_route(pybind11::handle settings, std::shared_ptr<engine::Handler> handler,
                                                   std::shared_ptr<engine::files::StaticAnswerObserver> observer);

/// Options of the ASGI bridge itself (not the engine's).
struct AsgiOptions {
    std::string root_path;          ///< url_path_prefix: scope["root_path"], stripped from scope["path"]
    std::size_t max_concurrency = 0;  ///< backpressure: requests running at once; 0 = no limit
    bool eager_tasks = false;        ///< start request tasks eagerly (asyncio.Task(..., eager_start=True), 3.12+)
    bool single_threaded = false;    ///< --runtime-mode st: the reactor runs on the loop's thread (loop_driver.hpp)
};

} // namespace bridge
