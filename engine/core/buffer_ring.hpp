#pragma once
// A provided-buffer ring for multishot recv. The kernel picks a buffer per completion; we hand it
// back after parsing (the parser copies what it keeps), in batches: recycle() per buffer, one
// commit() per CQE batch.
//
// Debian 12's liburing 2.3 lacks io_uring_setup_buf_ring(), so the ring memory is mmap'ed and
// registered by hand (io_uring_register_buf_ring + io_uring_buf_ring_init), which works on every
// liburing version.

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engine::core {

class BufferRing {
  public:
    BufferRing() = default;
    ~BufferRing();
    BufferRing(const BufferRing &) = delete;
    BufferRing &operator=(const BufferRing &) = delete;

    /// `count` must be a power of two (at most 32768). Returns 0 or a negative errno with `error` set.
    int init(io_uring *ring, std::uint16_t group_id, unsigned count, unsigned buffer_size, std::string &error);

    std::uint16_t group_id() const noexcept { return group_id_; }
    unsigned buffer_size() const noexcept { return buffer_size_; }
    unsigned count() const noexcept { return count_; }

    /// The bytes the kernel wrote into buffer `id`.
    std::string_view data(std::uint16_t id, std::size_t length) const noexcept {
        return {buffers_ + static_cast<std::size_t>(id) * buffer_size_, length};
    }
    /// Gives buffer `id` back to the kernel (visible after the next commit()).
    void recycle(std::uint16_t id) noexcept;
    /// Publishes every recycled buffer with one tail update.
    void commit() noexcept;

  private:
    io_uring *ring_ = nullptr;
    io_uring_buf_ring *shared_ = nullptr;  // the ring the kernel reads buffer addresses from
    std::size_t shared_bytes_ = 0;
    char *buffers_ = nullptr;
    std::size_t buffers_bytes_ = 0;
    unsigned count_ = 0;
    unsigned buffer_size_ = 0;
    unsigned pending_ = 0;
    std::uint16_t group_id_ = 0;
    bool registered_ = false;
};

/// The provided-buffer id carried in a recv CQE's flags.
inline std::uint16_t buffer_id_of(unsigned cqe_flags) noexcept {
    return static_cast<std::uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
}

} // namespace engine::core
