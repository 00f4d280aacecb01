#include "core/send_buffer_pool.hpp"

#include "engine/log.hpp"

#include <sys/mman.h>
#include <sys/uio.h>

#include <atomic>
#include <cstring>

namespace engine::core {

namespace {
// Every reactor tries to register; the refusal is the same for all, so say it once per process.
std::atomic<bool> refusal_logged{false};
} // namespace

SendBufferPool::~SendBufferPool() {
    if (registered_) io_uring_unregister_buffers(ring_);
    if (memory_) munmap(memory_, memory_bytes_);
}

void SendBufferPool::init(io_uring *ring, unsigned count, unsigned size) {
    ring_ = ring;
    size_ = size;
    if (count == 0 || size == 0) return;
    if (count >= no_buffer) count = no_buffer - 1;
    memory_bytes_ = static_cast<std::size_t>(count) * size;
    void *memory = mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (memory == MAP_FAILED) {
        log(LogLevel::warning, "send buffer pool: cannot allocate {} bytes; using heap buffers", memory_bytes_);
        memory_bytes_ = 0;
        return;
    }
    memory_ = static_cast<char *>(memory);
    free_.reserve(count);
    for (unsigned i = count; i > 0; --i) free_.push_back(static_cast<std::uint16_t>(i - 1));

    if (!ring_) return;  // no ring (unit tests): plain memory
    std::vector<iovec> vectors(count);
    for (unsigned i = 0; i < count; ++i) vectors[i] = iovec{data(static_cast<std::uint16_t>(i)), size};
    const int rc = io_uring_register_buffers(ring_, vectors.data(), count);
    registered_ = rc == 0;
    if (!registered_ && !refusal_logged.exchange(true))
        log(LogLevel::warning,
            "registered send buffers refused ({}): running with unregistered buffers "
            "(raise `ulimit -l` above {} KiB per reactor to enable them)",
            std::strerror(-rc), memory_bytes_ / 1024);
}

std::uint16_t SendBufferPool::acquire() noexcept {
    if (free_.empty()) return no_buffer;
    const std::uint16_t index = free_.back();
    free_.pop_back();
    return index;
}

void SendBufferPool::release(std::uint16_t index) noexcept {
    if (index != no_buffer) free_.push_back(index);
}

} // namespace engine::core
