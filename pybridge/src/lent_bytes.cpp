#include "lent_bytes.hpp"

#include <mutex>
#include <vector>

#include "dispatch_queue.hpp"
#include "live_objects.hpp"

namespace bridge {

namespace {

// Process-wide rather than per server: a release only needs *some* thread holding the GIL to drop the
// reference, and the callback gets no pointer but the object itself (no allocation per lent body).
std::mutex released_mutex;
std::vector<PyObject *> released;

void release_lent_bytes(void *ctx) noexcept {
    try {
        std::lock_guard lock(released_mutex);
        released.push_back(static_cast<PyObject *>(ctx));
    } catch (...) {
        return;  // out of memory: leaking one object beats touching Python off the GIL
    }
    DispatchQueue::request_drain();
}

} // namespace

engine::ExternalBuffer lend_bytes(PyObject *bytes) noexcept {
    return lend_memory_of(bytes, PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
}

engine::ExternalBuffer lend_memory_of(PyObject *owner, const char *data, std::size_t size) noexcept {
    Py_INCREF(owner);
    live_objects().external_buffers.fetch_add(1);
    return engine::ExternalBuffer{data, size, &release_lent_bytes, owner};
}

std::size_t drop_released_bytes() noexcept {
    std::vector<PyObject *> batch;
    {
        std::lock_guard lock(released_mutex);
        if (released.empty()) return 0;
        batch.swap(released);
    }
    for (PyObject *object : batch) Py_DECREF(object);
    live_objects().external_buffers.fetch_sub(static_cast<std::int64_t>(batch.size()));
    return batch.size();
}

} // namespace bridge
