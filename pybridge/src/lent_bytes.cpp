#include "lent_bytes.hpp"

#include "dispatch_queue.hpp"
#include "live_objects.hpp"

namespace bridge {

LentBytes::~LentBytes() { drop_released(); }

engine::ExternalBuffer LentBytes::lend_bytes(PyObject *bytes) noexcept {
    return lend_memory_of(bytes, PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
}

engine::ExternalBuffer LentBytes::lend_memory_of(PyObject *owner, const char *data, std::size_t size) noexcept {
    Py_INCREF(owner);
    live_objects().external_buffers.fetch_add(1);
    return engine::ExternalBuffer{data, size, this, owner};
}

void LentBytes::release(void *ctx) noexcept {
    try {
        std::lock_guard lock(mutex_);
        released_.push_back(static_cast<PyObject *>(ctx));
    } catch (...) {
        return;  // out of memory: leaking one object beats touching Python off the GIL
    }
    queue_->wake_loop();
}

std::size_t LentBytes::drop_released() noexcept {
    std::vector<PyObject *> batch;
    {
        std::lock_guard lock(mutex_);
        if (released_.empty()) return 0;
        batch.swap(released_);
    }
    for (PyObject *object : batch) Py_DECREF(object);
    live_objects().external_buffers.fetch_sub(static_cast<std::int64_t>(batch.size()));
    return batch.size();
}

} // namespace bridge
