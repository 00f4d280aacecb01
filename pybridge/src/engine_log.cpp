// `_native.set_engine_log_level(level)`: the threshold of the engine's own log lines (engine/include/engine/log.hpp),
// which go to stderr without passing through Python's logging. The engine's levels are Python's numbers
// (debug 10 ... error 40), so a level above 40 (logging.CRITICAL) silences the engine: what --no-log asks.

#include <pybind11/pybind11.h>

#include "engine/log.hpp"

namespace py = pybind11;

namespace bridge {

void register_engine_log(py::module_ &m) {
    m.def(
        "set_engine_log_level",
        [](int level) { engine::set_log_level(static_cast<engine::LogLevel>(level)); },
        py::arg("level"),
        "Drop the engine's log lines below `level` (Python's logging numbers; above 40 drops them all).");
}

} // namespace bridge
