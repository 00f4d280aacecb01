#pragma once
// A connection's unsent output: an ordered list of segments (staging bytes in a pooled buffer,
// owned strings, external buffers the engine must not copy, file regions to sendfile). The reactor
// gathers the memory segments at the front into one sendmsg, and consumes what the kernel took,
// so short sends resume where they stopped. Segments covered by a zero-copy send are held until
// every notification has arrived: only then is the memory released.

#include "core/send_buffer_pool.hpp"
#include "engine/handler.hpp"
#include "engine/response.hpp"

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine::core {

struct OutputSegment {
    enum class Kind : std::uint8_t { pooled, owned, external, file };
    Kind kind = Kind::pooled;
    const char *data = nullptr;  ///< next unsent byte (memory kinds)
    std::size_t size = 0;        ///< unsent bytes (memory kinds) or file bytes left
    std::uint16_t pool_index = SendBufferPool::no_buffer;
    std::size_t pooled_used = 0; ///< bytes written into the pooled buffer so far
    std::string owned;
    ExternalBuffer external;
    FileRegion file;
    bool notify_sent = false;
    ExchangeId notify_id;

    /// Back to the defaults above (keep in step with the fields), once the segment's resources were
    /// released or moved out. Cheaper than assigning a fresh segment, which this queue does for
    /// every segment it retires.
    void reset() noexcept {
        kind = Kind::pooled;
        data = nullptr;
        size = 0;
        pool_index = SendBufferPool::no_buffer;
        pooled_used = 0;
        owned.clear();
        external = {};
        file = {};
        notify_sent = false;
        notify_id = {};
    }
};

/// The queue's segments, oldest first, in one growable array used as a ring. A std::deque here
/// freed and allocated a block every few responses as the queue slid through memory; the ring
/// allocates only while growing to a connection's deepest queue. Segments move when it grows, so
/// no segment's `data` may point into the segment itself (owned strings are never in SSO form).
class SegmentRing {
  public:
    SegmentRing() = default;
    SegmentRing(const SegmentRing &) = delete;
    SegmentRing &operator=(const SegmentRing &) = delete;

    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }
    OutputSegment &operator[](std::size_t i) noexcept { return slots_[(head_ + i) & (slots_.size() - 1)]; }
    const OutputSegment &operator[](std::size_t i) const noexcept {
        return slots_[(head_ + i) & (slots_.size() - 1)];
    }
    OutputSegment &front() noexcept { return slots_[head_]; }
    const OutputSegment &front() const noexcept { return slots_[head_]; }
    OutputSegment &back() noexcept { return (*this)[count_ - 1]; }
    /// A default segment at the back (references to other segments stay valid unless it grows).
    OutputSegment &emplace_back();
    /// Retires the front segment (its resources must have been released or moved out).
    void pop_front() noexcept;

  private:
    void grow();

    std::vector<OutputSegment> slots_;  ///< a power of two long; slots outside the ring are default
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

class OutputQueue {
  public:
    explicit OutputQueue(SendBufferPool &pool) : pool_(&pool) {}
    ~OutputQueue() { clear(); }
    OutputQueue(const OutputQueue &) = delete;
    OutputQueue &operator=(const OutputQueue &) = delete;

    /// Copies small bytes into the staging buffer (a pooled buffer, or heap memory when the pool is dry).
    void append_copy(std::string_view bytes);
    /// Takes a string's bytes without copying them.
    void append_owned(std::string &&bytes);
    void append_external(const ExternalBuffer &buffer);
    /// Queues bytes without copying or owning them: whoever lends them keeps them alive with
    /// append_retained() (after the last lent slice), so they outlive every send that reads them.
    void append_lent(std::string_view bytes);
    /// Keeps `storage` (a string or an external buffer some of whose bytes were lent) until every byte
    /// queued before it has been sent (and, for zero-copy sends, notified); then releases it. Adds no bytes.
    void append_retained(Body &&storage);
    void append_file(const FileRegion &region);
    /// Calls Handler::on_sent for `id` once everything queued so far has been sent. Returns false if
    /// the queue is empty (the caller notifies at once).
    bool notify_when_sent(ExchangeId id);

    bool empty() const noexcept { return segments_.empty(); }
    bool front_is_file() const noexcept { return !segments_.empty() && segments_.front().kind == OutputSegment::Kind::file; }
    OutputSegment &front() noexcept { return segments_.front(); }
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }

    /// Fills up to `max_vectors` iovecs from the memory segments at the front; returns the count and
    /// sets `total` to their byte sum. Stops at a file segment (then `stopped_at_file` is set).
    std::size_t gather(iovec *vectors, std::size_t max_vectors, std::size_t &total,
                       bool *stopped_at_file = nullptr) const noexcept;
    /// The kernel took `bytes` from the front. Fully sent segments are released, or held when
    /// `hold_for_zero_copy` (their memory may still be read until the notification). Notifications
    /// due are appended to `sent`.
    void consume(std::size_t bytes, bool hold_for_zero_copy, std::vector<ExchangeId> &sent);
    /// Advances the front file segment by `bytes`; closes the file and pops it when done.
    void consume_file(std::size_t bytes, std::vector<ExchangeId> &sent);
    /// The first file segment, if any.
    const OutputSegment *leading_file() const noexcept;
    /// Every zero-copy notification has arrived: release what was held.
    void release_held() noexcept;
    /// Drops everything unsent (connection closed): releases memory and closes files.
    void clear() noexcept;

  private:
    void release(OutputSegment &segment) noexcept;
    void pop_front(bool hold, std::vector<ExchangeId> &sent);

    SendBufferPool *pool_;
    SegmentRing segments_;
    std::vector<OutputSegment> held_;
    std::size_t queued_bytes_ = 0;
};

} // namespace engine::core
