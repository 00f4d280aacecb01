#pragma once
// Small helpers for building Python objects through the C API with pybind11's error convention (a pending
// Python error becomes pybind11::error_already_set), shared by the ASGI scope and the WSGI environ builders.

#include <Python.h>

#include <pybind11/pybind11.h>

namespace bridge {

/// Owns a new reference, or throws error_already_set when the call that produced it failed (nullptr).
inline pybind11::object steal_or_throw(PyObject *object) {
    if (object == nullptr) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(object);
}

/// dict[key] = value, taking over the new reference `value_new_ref` (which may be nullptr from a failed call).
inline void set_item(PyObject *dict, PyObject *key, PyObject *value_new_ref) {
    pybind11::object value = steal_or_throw(value_new_ref);
    if (PyDict_SetItem(dict, key, value.ptr()) < 0) throw pybind11::error_already_set();
}

/// An interned str kept for the life of the process (like the module that uses it).
inline PyObject *intern(const char *text) {
    PyObject *name = PyUnicode_InternFromString(text);
    if (name == nullptr) throw pybind11::error_already_set();
    return name;
}

} // namespace bridge
