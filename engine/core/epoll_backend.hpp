#pragma once
// The epoll backend, for hosts that refuse io_uring (container seccomp profiles, the
// kernel.io_uring_disabled sysctl). Each connection is registered once, edge-triggered, for input and
// output, so pausing and resuming reads or waiting for room costs no epoll_ctl. Reads go into one
// reactor-owned buffer (the protocol copies what it keeps, as with io_uring's provided buffers) with a
// per-wake budget for fairness; sends are direct sendmsg/sendfile calls; a full socket waits for the
// next EPOLLOUT edge. Teardown is finished after the current batch, so no stream is released while
// one of its callbacks is still on the stack.

#include "core/io_backend.hpp"

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace engine::core {

/// epoll_event.data for this backend: what the descriptor is, and for a stream its slot and the low 24
/// bits of its generation (an event for a slot reused since is recognised and dropped).
struct EpollTag {
    enum class Kind : std::uint8_t { stream, listener, wake };
    Kind kind = Kind::stream;
    std::uint32_t index = 0;       ///< slot or listener
    std::uint32_t generation = 0;  ///< 24 bits; streams only
};

constexpr std::uint64_t encode_epoll_tag(EpollTag tag) noexcept {
    return static_cast<std::uint64_t>(tag.index) | (static_cast<std::uint64_t>(tag.generation & 0xffffffu) << 32) |
           (static_cast<std::uint64_t>(tag.kind) << 56);
}

constexpr EpollTag decode_epoll_tag(std::uint64_t data) noexcept {
    return EpollTag{static_cast<EpollTag::Kind>(data >> 56), static_cast<std::uint32_t>(data & 0xffffffffu),
                    static_cast<std::uint32_t>((data >> 32) & 0xffffffu)};
}

class EpollBackend final : public IoBackend {
  public:
    explicit EpollBackend(Reactor &reactor);
    ~EpollBackend() override;

    std::string setup() override;
    std::string describe() const override;
    void init_send_buffers() override;
    void start_accepting(std::uint32_t listener) override;
    void stop_accepting() override;
    bool accepting() const noexcept override { return false; }  // stopping is synchronous
    bool watch(Stream &stream) override;
    void start_reading(Stream &stream) override;
    void stop_reading(Stream &stream) override;
    void send(Stream &stream) override;
    void teardown(Stream &stream) override;
    bool has_pending() const noexcept override { return !to_read_.empty() || !closing_.empty(); }
    void submit() override {}  // every call was made directly
    void wait_and_dispatch(int timeout_ms) override;
    int poll_fd() const noexcept override { return epoll_fd_; }

  private:
    struct Pending {
        Stream *stream;
        std::uint32_t generation;
    };
    void on_listener(std::uint32_t listener);
    void requeue(std::uint32_t listener);
    void on_stream(const EpollTag &tag, std::uint32_t events);
    /// `until_end`: read until EAGAIN or EOF even after a short read (the edge also carried a FIN or an error).
    void read_from(Stream &stream, bool until_end);
    void read_pending();
    void send_file(Stream &stream);
    void wait_writable(Stream &stream);
    bool finish_teardowns();

    Reactor &reactor_;
    int epoll_fd_ = -1;
    std::vector<bool> listening_;
    std::vector<Pending> to_read_;  ///< streams to read without waiting for an edge (new, resumed, over budget)
    std::vector<Pending> read_scratch_;
    std::vector<Stream *> closing_;
    std::unique_ptr<char[]> read_buffer_;
    std::size_t read_buffer_size_ = 0;
    std::vector<epoll_event> events_;
};

} // namespace engine::core
