#include "core/buffer_ring.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace engine::core {

BufferRing::~BufferRing() {
    if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
    if (shared_) munmap(shared_, shared_bytes_);
    if (buffers_) munmap(buffers_, buffers_bytes_);
}

int BufferRing::init(io_uring *ring, std::uint16_t group_id, unsigned count, unsigned buffer_size,
                     std::string &error) {
    if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
        error = fmt::format("recv buffer count must be a power of two up to 32768 (got {})", count);
        return -EINVAL;
    }
    ring_ = ring;
    group_id_ = group_id;
    count_ = count;
    buffer_size_ = buffer_size;

    // The kernel requires the ring to be page aligned: mmap gives that.
    shared_bytes_ = count * sizeof(io_uring_buf);
    void *shared = mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (shared == MAP_FAILED) {
        shared = nullptr;
        error = fmt::format("cannot allocate the recv buffer ring: {}", std::strerror(errno));
        return -errno;
    }
    shared_ = static_cast<io_uring_buf_ring *>(shared);

    buffers_bytes_ = static_cast<std::size_t>(count) * buffer_size;
    void *buffers = mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (buffers == MAP_FAILED) {
        error = fmt::format("cannot allocate {} bytes of recv buffers: {}", buffers_bytes_, std::strerror(errno));
        return -errno;
    }
    buffers_ = static_cast<char *>(buffers);

    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uint64_t>(shared_);
    registration.ring_entries = count;
    registration.bgid = group_id;
    const int rc = io_uring_register_buf_ring(ring_, &registration, 0);
    if (rc < 0) {
        error = rc == -EINVAL ? "this kernel has no provided-buffer rings (needs Linux 5.19+; 6.0+ for multishot recv)"
                              : fmt::format("io_uring_register_buf_ring failed: {}", std::strerror(-rc));
        return rc;
    }
    registered_ = true;
    io_uring_buf_ring_init(shared_);
    for (unsigned id = 0; id < count; ++id) recycle(static_cast<std::uint16_t>(id));
    commit();
    return 0;
}

void BufferRing::recycle(std::uint16_t id) noexcept {
    io_uring_buf_ring_add(shared_, buffers_ + static_cast<std::size_t>(id) * buffer_size_, buffer_size_, id,
                          io_uring_buf_ring_mask(count_), static_cast<int>(pending_));
    ++pending_;
}

void BufferRing::commit() noexcept {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(shared_, static_cast<int>(pending_));
    pending_ = 0;
}

} // namespace engine::core
