// `_native.ensure_port_free(settings)`: the engine's busy-port check, for a supervisor to run once before it
// starts workers that share the port through SO_REUSEPORT (their own engines skip the check, see
// engine::ListenConfig::check_port_free).

#include <pybind11/pybind11.h>

#include "engine/port_check.hpp"
#include "settings.hpp"

namespace py = pybind11;

namespace bridge {

void register_port_check(py::module_ &m) {
    m.def(
        "ensure_port_free",
        [](py::handle settings) {
            const engine::ListenConfig listen = listen_config_from(settings);
            py::gil_scoped_release unlocked;  // resolving a host name may wait for DNS
            engine::core::ensure_port_free(listen);
        },
        py::arg("settings"),
        "Raises StartupError (\"address ... is already in use\") when a socket already listens on the TCP address "
        "of EngineSettings `settings`; nothing for a Unix socket, an inherited fd or port 0.");
}

} // namespace bridge
