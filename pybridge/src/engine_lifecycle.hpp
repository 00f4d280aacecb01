#pragma once
// Starting, stopping and waiting for the engine from Python, shared by the ASGI and WSGI servers. The GIL is
// released while the engine spawns its reactor threads or blocks.

#include <pybind11/pybind11.h>

#include <stdexcept>

#include "dispatch_queue.hpp"
#include "engine/server.hpp"

namespace bridge {

inline void start_engine(engine::Server &engine, DispatchQueue &queue, bool &started) {
    if (started) throw std::logic_error("the server was already started");
    queue.make_default_waker();
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

} // namespace bridge
