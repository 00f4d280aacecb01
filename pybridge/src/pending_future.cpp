#include "pending_future.hpp"

#include "live_objects.hpp"
#include "names.hpp"
#include "py_objects.hpp"

namespace py = pybind11;

namespace bridge {

py::object hold_future(py::object future) {
    live_objects().pending_futures.fetch_add(1);
    return future;
}

bool future_done(py::handle future) {
    return steal_or_throw(PyObject_CallMethodNoArgs(future.ptr(), names().done)).ptr() == Py_True;
}

py::object take_waiting_future(py::object &slot) {
    if (!slot) return py::object();
    py::object future = std::move(slot);
    slot = py::object();
    live_objects().pending_futures.fetch_sub(1);
    if (future_done(future)) return py::object();
    return future;
}

void drop_future(py::object &slot) {
    if (!slot) return;
    slot = py::object();
    live_objects().pending_futures.fetch_sub(1);
}

} // namespace bridge
