#include "core/output_queue.hpp"

#include <unistd.h>

#include <cstring>
#include <variant>

namespace engine::core {

OutputSegment &SegmentRing::emplace_back() {
    if (count_ == slots_.size()) grow();
    ++count_;
    return back();
}

void SegmentRing::pop_front() noexcept {
    slots_[head_].reset();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --count_;
}

void SegmentRing::grow() {
    std::vector<OutputSegment> larger(slots_.empty() ? 4 : slots_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) larger[i] = std::move((*this)[i]);
    slots_.swap(larger);
    head_ = 0;
}

void OutputQueue::append_copy(std::string_view bytes) {
    if (bytes.empty()) return;
    queued_bytes_ += bytes.size();
    // Fill the tail staging buffer first. Appending past the part an in-flight send covers is safe:
    // pooled buffers never move, and the kernel reads only the iovec range it was given.
    if (!segments_.empty()) {
        OutputSegment &tail = segments_.back();
        if (tail.kind == OutputSegment::Kind::pooled && !tail.notify_sent) {
            const std::size_t room = pool_->buffer_size() - tail.pooled_used;
            if (bytes.size() <= room) {
                std::memcpy(pool_->data(tail.pool_index) + tail.pooled_used, bytes.data(), bytes.size());
                tail.pooled_used += bytes.size();
                tail.size += bytes.size();
                return;
            }
        }
    }
    if (bytes.size() <= pool_->buffer_size()) {
        const std::uint16_t index = pool_->acquire();
        if (index != SendBufferPool::no_buffer) {
            OutputSegment &segment = segments_.emplace_back();
            segment.kind = OutputSegment::Kind::pooled;
            segment.pool_index = index;
            std::memcpy(pool_->data(index), bytes.data(), bytes.size());
            segment.pooled_used = bytes.size();
            segment.data = pool_->data(index);
            segment.size = bytes.size();
            return;
        }
    }
    queued_bytes_ -= bytes.size();  // append_owned counts it again
    append_owned(std::string(bytes));
}

void OutputQueue::append_owned(std::string &&bytes) {
    if (bytes.empty()) return;
    queued_bytes_ += bytes.size();
    OutputSegment &segment = segments_.emplace_back();
    segment.kind = OutputSegment::Kind::owned;
    // Short strings keep their bytes inside the string object (SSO), which moves with the segment
    // when the ring grows or the segment is held: give them heap storage, whose address is stable.
    if (bytes.capacity() < 2 * sizeof(std::string)) bytes.reserve(2 * sizeof(std::string));
    segment.owned = std::move(bytes);
    segment.data = segment.owned.data();
    segment.size = segment.owned.size();
}

void OutputQueue::append_external(const ExternalBuffer &buffer) {
    if (buffer.size == 0) {
        give_back(buffer);
        return;
    }
    queued_bytes_ += buffer.size;
    OutputSegment &segment = segments_.emplace_back();
    segment.kind = OutputSegment::Kind::external;
    segment.external = buffer;
    segment.data = buffer.data;
    segment.size = buffer.size;
}

void OutputQueue::append_lent(std::string_view bytes) {
    if (bytes.empty()) return;
    // An external segment without a release: the retained segment that follows releases the storage.
    append_external(ExternalBuffer{bytes.data(), bytes.size(), nullptr, nullptr});
}

void OutputQueue::append_retained(Body &&storage) {
    OutputSegment retained;
    if (auto *owned = std::get_if<std::string>(&storage)) {
        retained.kind = OutputSegment::Kind::owned;
        retained.owned = std::move(*owned);  // lent bytes are never SSO-sized, so the move keeps them in place
    } else if (const auto *external = std::get_if<ExternalBuffer>(&storage)) {
        retained.kind = OutputSegment::Kind::external;
        retained.external = *external;
    } else if (const auto *file = std::get_if<FileRegion>(&storage)) {
        if (file->fd >= 0) ::close(file->fd);  // nothing of a file is lent
        return;
    } else {
        return;
    }
    storage = std::monostate{};
    if (segments_.empty()) {
        // Every lent byte was sent already; a zero-copy send may still read them until its notification.
        if (!held_.empty()) held_.push_back(std::move(retained));
        else release(retained);
        return;
    }
    // Zero bytes: consume() retires it with the segment before it, gather() skips it.
    segments_.emplace_back() = std::move(retained);
}

void OutputQueue::append_file(const FileRegion &region) {
    if (region.length == 0) {
        if (region.fd >= 0) ::close(region.fd);
        return;
    }
    queued_bytes_ += region.length;
    OutputSegment &segment = segments_.emplace_back();
    segment.kind = OutputSegment::Kind::file;
    segment.file = region;
    segment.size = region.length;
}

bool OutputQueue::notify_when_sent(ExchangeId id) {
    if (segments_.empty()) return false;
    OutputSegment &tail = segments_.back();
    if (tail.notify_sent) {
        // One notification per segment: add an empty marker segment to carry the next one.
        OutputSegment &marker = segments_.emplace_back();
        marker.kind = OutputSegment::Kind::owned;
        marker.notify_sent = true;
        marker.notify_id = id;
        return true;
    }
    tail.notify_sent = true;
    tail.notify_id = id;
    return true;
}

std::size_t OutputQueue::gather(iovec *vectors, std::size_t max_vectors, std::size_t &total,
                               bool *stopped_at_file) const noexcept {
    std::size_t count = 0;
    total = 0;
    if (stopped_at_file) *stopped_at_file = false;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        const OutputSegment &segment = segments_[i];
        if (segment.kind == OutputSegment::Kind::file) {
            if (stopped_at_file) *stopped_at_file = true;
            break;
        }
        if (count == max_vectors) break;
        if (segment.size == 0) continue;
        vectors[count++] = iovec{const_cast<char *>(segment.data), segment.size};
        total += segment.size;
    }
    return count;
}

void OutputQueue::pop_front(bool hold, std::vector<ExchangeId> &sent) {
    OutputSegment &segment = segments_.front();
    if (segment.notify_sent) sent.push_back(segment.notify_id);
    if (hold && segment.kind != OutputSegment::Kind::file) {
        held_.push_back(std::move(segment));
        // A moved std::string may keep its bytes in place (heap) or not (SSO). Zero-copy sends only
        // matter for large bodies, which are never SSO, so the held copy still owns those bytes.
    } else {
        release(segment);
    }
    segments_.pop_front();
}

void OutputQueue::consume(std::size_t bytes, bool hold_for_zero_copy, std::vector<ExchangeId> &sent) {
    queued_bytes_ -= bytes;
    while (!segments_.empty()) {
        OutputSegment &segment = segments_.front();
        if (segment.kind == OutputSegment::Kind::file) break;
        if (bytes < segment.size) {
            segment.data += bytes;
            segment.size -= bytes;
            return;
        }
        bytes -= segment.size;
        segment.size = 0;
        pop_front(hold_for_zero_copy, sent);
    }
    // Markers (empty segments) that are now at the front carry notifications due now.
    while (!segments_.empty() && segments_.front().kind != OutputSegment::Kind::file && segments_.front().size == 0 &&
           segments_.front().notify_sent)
        pop_front(hold_for_zero_copy, sent);
}

void OutputQueue::consume_file(std::size_t bytes, std::vector<ExchangeId> &sent) {
    OutputSegment &segment = segments_.front();
    queued_bytes_ -= bytes;
    segment.file.offset += bytes;
    segment.file.length -= bytes;
    segment.size = segment.file.length;
    if (segment.file.length == 0) pop_front(false, sent);
}

const OutputSegment *OutputQueue::leading_file() const noexcept {
    for (std::size_t i = 0; i < segments_.size(); ++i)
        if (segments_[i].kind == OutputSegment::Kind::file) return &segments_[i];
    return nullptr;
}

void OutputQueue::release_held() noexcept {
    for (OutputSegment &segment : held_) release(segment);
    held_.clear();
}

void OutputQueue::release(OutputSegment &segment) noexcept {
    switch (segment.kind) {
    case OutputSegment::Kind::pooled:
        pool_->release(segment.pool_index);
        segment.pool_index = SendBufferPool::no_buffer;
        break;
    case OutputSegment::Kind::owned:
        std::string().swap(segment.owned);
        break;
    case OutputSegment::Kind::external:
        give_back(segment.external);
        segment.external = {};
        break;
    case OutputSegment::Kind::file:
        if (segment.file.fd >= 0) ::close(segment.file.fd);
        segment.file.fd = -1;
        break;
    }
}

void OutputQueue::clear() noexcept {
    while (!segments_.empty()) {
        release(segments_.front());
        segments_.pop_front();
    }
    release_held();
    queued_bytes_ = 0;
}

} // namespace engine::core
