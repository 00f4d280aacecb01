#pragma once
// The io_uring backend: one ring per reactor (SINGLE_ISSUER | DEFER_TASKRUN), multishot accept and
// multishot recv into a provided-buffer ring, sends and zero-copy sends, sendfile with a POLLOUT wait,
// the inbox eventfd read and a tick timeout, all completions dispatched with one switch on the op
// (STYLE: proxy.c's handle_cqe()). user_data.hpp is the only place that encodes its completions.

#include "core/buffer_ring.hpp"
#include "core/io_backend.hpp"
#include "core/ring.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace engine::core {

class UringBackend final : public IoBackend {
  public:
    explicit UringBackend(Reactor &reactor);

    std::string setup() override;
    std::string describe() const override;
    void init_send_buffers() override;
    void start_accepting(std::uint32_t listener) override;
    void stop_accepting() override;
    bool accepting() const noexcept override;
    bool watch(Stream &) override { return true; }  // completions need no registration
    void start_reading(Stream &stream) override;
    void stop_reading(Stream &stream) override;
    void send(Stream &stream) override;
    void teardown(Stream &stream) override;
    bool has_pending() const noexcept override;
    void submit() override;
    void wait_and_dispatch(int timeout_ms) override;
    int poll_fd() const noexcept override;

  private:
    void handle_completion(io_uring_cqe *cqe);
    void on_accept(std::uint32_t listener, io_uring_cqe *cqe);
    void on_recv(Stream &stream, io_uring_cqe *cqe);
    void on_send(Stream &stream, io_uring_cqe *cqe, bool zero_copy);
    void on_writable(Stream &stream, int result);
    void arm_recv(Stream &stream);
    void arm_wake();
    void arm_tick(int timeout_ms);
    void send_file(Stream &stream);
    void wait_writable(Stream &stream);

    Reactor &reactor_;
    Ring ring_;
    BufferRing recv_buffers_;
    std::vector<bool> accept_armed_;
    std::vector<Stream *> rearm_recv_;
    std::uint64_t wake_value_ = 0;
    __kernel_timespec tick_interval_{};
    bool tick_armed_ = false;
};

} // namespace engine::core
