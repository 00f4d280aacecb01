#pragma once
// An awaitable that is already complete: `await` returns its value at once, with no Future, no loop
// round trip and (on 3.11's PyIter_Send path) not even a StopIteration. receive()/send() return one whenever
// the app need not wait.

#include <Python.h>

#include <pybind11/pybind11.h>

namespace bridge {

/// New reference to an awaitable that yields nothing and returns `value` (borrowed; a reference is taken).
/// nullptr with a Python error set only when out of memory.
PyObject *make_ready_awaitable(PyObject *value) noexcept;

/// Borrowed: a shared awaitable returning None (it is stateless, so every send() can hand out the same one).
PyObject *ready_none() noexcept;

void register_ready_awaitable(pybind11::module_ &m);

} // namespace bridge
