#pragma once
// Python objects one server lends to its engine without a copy (engine::BufferLender). The engine releases them
// on a reactor thread, which must never touch Python: release() only queues the object and wakes the server's
// dispatch queue, and the thread that next drains it (holding the GIL) drops the references.

#include <Python.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/response.hpp"

namespace bridge {

class DispatchQueue;

class LentBytes final : public engine::BufferLender {
  public:
    /// `queue` is the server's: a release wakes it. The server holds this lender from before its engine starts
    /// until after the engine is gone.
    explicit LentBytes(std::shared_ptr<DispatchQueue> queue) noexcept : queue_(std::move(queue)) {}
    /// GIL held: drops what the engine released last (a stopped engine has released everything).
    ~LentBytes();
    LentBytes(const LentBytes &) = delete;
    LentBytes &operator=(const LentBytes &) = delete;

    /// Takes a new reference to `bytes` (a PyBytes object) and describes its payload for the engine.
    engine::ExternalBuffer lend_bytes(PyObject *bytes) noexcept;
    /// The same for `size` bytes at `data` that the immutable `owner` keeps alive (the cached UTF-8 of a str).
    engine::ExternalBuffer lend_memory_of(PyObject *owner, const char *data, std::size_t size) noexcept;

    /// GIL held: drops the references the engine has released so far. Returns how many.
    std::size_t drop_released() noexcept;

    /// Reactor thread (engine::BufferLender): `ctx` is the lent object.
    void release(void *ctx) noexcept override;

  private:
    std::shared_ptr<DispatchQueue> queue_;
    std::mutex mutex_;
    std::vector<PyObject *> released_;
};

} // namespace bridge
