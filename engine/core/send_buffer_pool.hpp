#pragma once
// Per-reactor pool of fixed-size send/serialization buffers, registered with the ring
// (io_uring_register_buffers) so zero-copy sends of engine-owned bytes can use them as fixed
// buffers. A connection borrows one only while it has output queued, so idle keep-alive
// connections cost no send memory. When registration is refused (the locked-memory limit for
// non-root users, 8 MiB here), the pool logs once and works unregistered.

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace engine::core {

class SendBufferPool {
  public:
    static constexpr std::uint16_t no_buffer = 0xffff;

    SendBufferPool() = default;
    ~SendBufferPool();
    SendBufferPool(const SendBufferPool &) = delete;
    SendBufferPool &operator=(const SendBufferPool &) = delete;

    /// Allocates `count` buffers of `size` bytes and tries to register them with `ring` (if not null).
    void init(io_uring *ring, unsigned count, unsigned size);

    /// A free buffer index, or no_buffer when all are lent out (callers then use heap memory).
    std::uint16_t acquire() noexcept;
    void release(std::uint16_t index) noexcept;

    char *data(std::uint16_t index) const noexcept { return memory_ + static_cast<std::size_t>(index) * size_; }
    unsigned buffer_size() const noexcept { return size_; }
    bool registered() const noexcept { return registered_; }
    unsigned available() const noexcept { return static_cast<unsigned>(free_.size()); }

  private:
    io_uring *ring_ = nullptr;
    char *memory_ = nullptr;
    std::size_t memory_bytes_ = 0;
    unsigned size_ = 0;
    std::vector<std::uint16_t> free_;
    bool registered_ = false;
};

} // namespace engine::core
