#pragma once
// Python `bytes` lent to the engine without a copy. The engine releases an ExternalBuffer on a reactor thread,
// which must never touch Python: the release only queues the object, and the loop thread drops the reference
// (with the GIL) on its next drain.

#include <Python.h>

#include "engine/response.hpp"

namespace bridge {

/// Takes a new reference to `bytes` (a PyBytes object) and describes its payload for the engine.
engine::ExternalBuffer lend_bytes(PyObject *bytes) noexcept;

/// The same for `size` bytes at `data` that the immutable `owner` keeps alive (the cached UTF-8 of a str).
engine::ExternalBuffer lend_memory_of(PyObject *owner, const char *data, std::size_t size) noexcept;

/// GIL held: drops the references the engine has released so far. Returns how many.
std::size_t drop_released_bytes() noexcept;

} // namespace bridge
