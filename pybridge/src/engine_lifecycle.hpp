#pragma once
// Starting, stopping and waiting for the engine from Python, shared by the ASGI and WSGI servers. The GIL is
// released while the engine spawns its reactor threads or blocks.

#include <pybind11/pybind11.h>

#include <stdexcept>

#include "engine/server.hpp"

namespace bridge {

inline void start_engine(engine::Server &engine, bool &started) {
    if (started) throw std::logic_error("the server was already started");
    {
        pybind11::gil_scoped_release unlocked;
        engine.start();
    }
    started = true;
}

inline void stop_engine(engine::Server &engine, bool started) {
    if (!started) return;
    pybind11::gil_scoped_release unlocked;
    engine.stop();
}

inline void wait_engine(engine::Server &engine, bool started) {
    if (!started) return;
    pybind11::gil_scoped_release unlocked;
    engine.wait();
}

/// The engine's per-reactor counters (engine::ReactorStats) as a list of dicts with the same keys, one per
/// reactor; [] before start. Callable from any Python thread (a worker's metrics thread reads it while the loop
/// serves): the counters are relaxed atomics, and the reactor table no longer changes once `started` is set --
/// which happens with the GIL held, as this runs. The numbers stay readable after stop (the final counts).
inline pybind11::list engine_stats(const engine::Server &engine, bool started) {
    pybind11::list reactors;
    if (!started) return reactors;
    for (const engine::ReactorStats &counters : engine.stats()) {
        pybind11::dict reactor;
        reactor["connections_accepted"] = counters.connections_accepted;
        reactor["connections_open"] = counters.connections_open;
        reactor["requests"] = counters.requests;
        reactor["http2_connections"] = counters.http2_connections;
        reactor["http2_streams"] = counters.http2_streams;
        reactors.append(std::move(reactor));
    }
    return reactors;
}

} // namespace bridge
