#pragma once
// One io_uring per reactor thread: setup with a feature probe and flag fallback, SQE helpers.
// Created on the thread that will use it (SINGLE_ISSUER binds the ring to its creator).

#include <liburing.h>

#include <cstdint>
#include <string>

namespace engine::core {

struct RingFeatures {
    bool defer_taskrun = false;   ///< SINGLE_ISSUER | DEFER_TASKRUN accepted
    bool coop_taskrun = false;    ///< fallback: COOP_TASKRUN | TASKRUN_FLAG
    bool registered_ring_fd = false;
    bool ext_arg = false;         ///< waits with a timeout need no timeout SQE
};

class Ring {
  public:
    Ring() = default;
    ~Ring();
    Ring(const Ring &) = delete;
    Ring &operator=(const Ring &) = delete;

    /// Returns 0 or a negative errno; on failure `error` holds a one-line, user-facing reason.
    /// `polled`: another event loop watches the ring's fd for completions (the reactor runs on that loop's
    /// thread), so completions must make the fd readable without this thread entering the ring.
    int init(unsigned sq_entries, std::string &error, bool polled = false);

    /// A free SQE, submitting what is queued first when the SQ is full (never returns null).
    io_uring_sqe *sqe();
    io_uring *raw() noexcept { return &ring_; }
    const RingFeatures &features() const noexcept { return features_; }

  private:
    io_uring ring_{};
    bool initialised_ = false;
    RingFeatures features_;
};

/// A one-line explanation of why io_uring_setup failed, with hints for containers.
std::string describe_ring_setup_error(int negative_errno);

} // namespace engine::core
