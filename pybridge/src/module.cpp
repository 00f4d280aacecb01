// uring_granian._native: one register_<area>() per source file; each file owns what it exposes.

#include <pybind11/pybind11.h>

namespace bridge {
void register_names(pybind11::module_ &m);
void register_errors(pybind11::module_ &m);
void register_live_objects(pybind11::module_ &m);
void register_ready_awaitable(pybind11::module_ &m);
void register_asgi(pybind11::module_ &m);
void register_wsgi(pybind11::module_ &m);
void register_port_check(pybind11::module_ &m);
void register_engine_log(pybind11::module_ &m);
} // namespace bridge

PYBIND11_MODULE(_native, m) {
    m.doc() = "The io_uring engine bridge of uring_granian (ASGI and WSGI).";
    bridge::register_names(m);
    bridge::register_errors(m);
    bridge::register_live_objects(m);
    bridge::register_ready_awaitable(m);
    bridge::register_asgi(m);
    bridge::register_wsgi(m);
    bridge::register_port_check(m);
    bridge::register_engine_log(m);
}
