#include "ready_awaitable.hpp"

// A hand-written CPython type rather than a pybind11 class: it is created on every receive(), and needs the
// am_send / tp_iternext slots, which pybind11 does not expose; a pybind11 instance would also cost a
// registration in pybind11's instance map per object.

namespace py = pybind11;

namespace bridge {

namespace {

struct ReadyAwaitable {
    PyObject_HEAD
    PyObject *value;  // never NULL; holds no reference back to anything of the bridge
};

PyTypeObject *ready_type = nullptr;
PyObject *shared_ready_none = nullptr;

void ready_dealloc(PyObject *self) {
    Py_DECREF(reinterpret_cast<ReadyAwaitable *>(self)->value);
    Py_TYPE(self)->tp_free(self);
}

PyObject *ready_await(PyObject *self) { return Py_NewRef(self); }

/// Raises StopIteration carrying `value`. A tuple or an exception instance given straight to
/// PyErr_SetObject would be taken as constructor arguments / the exception itself, so those are wrapped.
void set_stop_iteration(PyObject *value) {
    if (value == Py_None) {
        PyErr_SetNone(PyExc_StopIteration);
    } else if (PyTuple_Check(value) || PyExceptionInstance_Check(value)) {
        PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, value);
        if (stop == nullptr) return;
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    } else {
        PyErr_SetObject(PyExc_StopIteration, value);
    }
}

PyObject *ready_iternext(PyObject *self) {
    set_stop_iteration(reinterpret_cast<ReadyAwaitable *>(self)->value);
    return nullptr;
}

/// PyIter_Send's fast path (used by `await` on 3.11): the value is returned without raising anything.
PySendResult ready_am_send(PyObject *self, PyObject * /*arg*/, PyObject **result) {
    *result = Py_NewRef(reinterpret_cast<ReadyAwaitable *>(self)->value);
    return PYGEN_RETURN;
}

PyObject *ready_send(PyObject *self, PyObject * /*arg*/) { return ready_iternext(self); }

PyObject *ready_throw(PyObject * /*self*/, PyObject *const *args, Py_ssize_t nargs) {
    // Nothing is pending, so a thrown exception simply propagates, as from a finished generator.
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "throw expected at least 1 argument");
        return nullptr;
    }
    PyObject *type_or_value = args[0];
    if (PyExceptionInstance_Check(type_or_value)) {
        PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(type_or_value)), type_or_value);
    } else if (PyExceptionClass_Check(type_or_value)) {
        PyErr_SetObject(type_or_value, nargs > 1 ? args[1] : nullptr);
    } else {
        PyErr_SetString(PyExc_TypeError, "exceptions must derive from BaseException");
    }
    return nullptr;
}

PyObject *ready_close(PyObject * /*self*/, PyObject * /*unused*/) { Py_RETURN_NONE; }

PyMethodDef ready_methods[] = {
    {"send", ready_send, METH_O, "Returns the value at once (raises StopIteration(value))."},
    {"throw", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(ready_throw)), METH_FASTCALL,
     "Raises the given exception."},
    {"close", ready_close, METH_NOARGS, "Nothing to close."},
    {nullptr, nullptr, 0, nullptr},
};

PyAsyncMethods ready_async = {ready_await, nullptr, nullptr, ready_am_send};

PyTypeObject make_type() {
    PyTypeObject type{PyVarObject_HEAD_INIT(nullptr, 0)};
    type.tp_name = "uring_granian._native.ReadyAwaitable";
    type.tp_basicsize = sizeof(ReadyAwaitable);
    type.tp_dealloc = ready_dealloc;
    type.tp_as_async = &ready_async;
    type.tp_flags = Py_TPFLAGS_DEFAULT;
    type.tp_doc = "An awaitable that completes at once with a value (receive()/send() when nothing must wait).";
    type.tp_iter = ready_await;
    type.tp_iternext = ready_iternext;
    type.tp_methods = ready_methods;
    return type;
}

PyTypeObject ready_type_storage = make_type();

} // namespace

PyObject *make_ready_awaitable(PyObject *value) noexcept {
    auto *awaitable = PyObject_New(ReadyAwaitable, ready_type);
    if (awaitable == nullptr) return nullptr;
    awaitable->value = Py_NewRef(value);
    return reinterpret_cast<PyObject *>(awaitable);
}

PyObject *ready_none() noexcept { return shared_ready_none; }

void register_ready_awaitable(py::module_ &m) {
    if (PyType_Ready(&ready_type_storage) < 0) throw py::error_already_set();
    ready_type = &ready_type_storage;
    shared_ready_none = make_ready_awaitable(Py_None);
    if (shared_ready_none == nullptr) throw py::error_already_set();
    m.attr("ReadyAwaitable") = py::handle(reinterpret_cast<PyObject *>(ready_type));
}

} // namespace bridge
