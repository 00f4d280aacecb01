#include "core/ring.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace engine::core {

namespace {

// Kernel constants newer than Debian 12's liburing 2.3 headers.
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif

int try_init(io_uring &ring, unsigned entries, unsigned flags) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    // The CQ is four times the SQ: every connection can have a multishot recv, a send and a
    // zero-copy notification outstanding, and a burst of accepts must not overflow it.
    params.cq_entries = entries * 4;
    return io_uring_queue_init_params(entries, &ring, &params);
}

int read_io_uring_disabled() {
    std::FILE *file = std::fopen("/proc/sys/kernel/io_uring_disabled", "r");
    if (!file) return -1;
    int value = -1;
    if (std::fscanf(file, "%d", &value) != 1) value = -1;
    std::fclose(file);
    return value;
}

} // namespace

Ring::~Ring() {
    if (initialised_) io_uring_queue_exit(&ring_);
}

int Ring::init(unsigned sq_entries, std::string &error, bool polled) {
    int rc = -EINVAL;
    if (polled) {
        // A ring watched through another loop's epoll: DEFER_TASKRUN would post no completion (so never make the
        // fd readable) until this thread calls io_uring_enter with GETEVENTS, which it does only once the fd is
        // readable: the loop would sleep on finished work. COOP_TASKRUN runs the completion work at this thread's
        // next kernel transition, and a thread asleep in epoll_wait is woken for it (measured on 6.18: the wait
        // returns EINTR, the work runs, the fd turns readable), without an IPI in the middle of running Python.
        // TASKRUN_FLAG marks pending work in the SQ flags, so liburing's submit enters the kernel to reap it even
        // with nothing to submit.
        rc = try_init(ring_, sq_entries,
                      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
                          IORING_SETUP_SUBMIT_ALL);
        if (rc == 0) features_.coop_taskrun = true;
    } else {
        // DEFER_TASKRUN runs completion work only when this thread waits for CQEs: no IPIs, no task
        // work interrupting the reactor mid-batch. It needs SINGLE_ISSUER (only this thread submits).
        // SUBMIT_ALL keeps submitting the rest of a batch when one SQE fails early.
        rc = try_init(ring_, sq_entries,
                      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL);
        if (rc == 0) {
            features_.defer_taskrun = true;
        } else if (rc == -EINVAL) {
            // Older kernels (< 6.1): COOP_TASKRUN at least avoids interrupting the thread for task work.
            rc = try_init(ring_, sq_entries, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
            if (rc == 0) features_.coop_taskrun = true;
        }
    }
    if (rc == -EINVAL) rc = try_init(ring_, sq_entries, 0);
    if (rc < 0) {
        error = describe_ring_setup_error(rc);
        return rc;
    }
    initialised_ = true;
    features_.ext_arg = (ring_.features & IORING_FEAT_EXT_ARG) != 0;
    // A registered ring fd saves an fdget/fdput on every io_uring_enter.
    features_.registered_ring_fd = io_uring_register_ring_fd(&ring_) == 1;
    return 0;
}

io_uring_sqe *Ring::sqe() {
    io_uring_sqe *entry = io_uring_get_sqe(&ring_);
    while (!entry) {
        io_uring_submit(&ring_);
        entry = io_uring_get_sqe(&ring_);
    }
    return entry;
}

std::string describe_ring_setup_error(int negative_errno) {
    const int err = -negative_errno;
    if (err == EPERM) {
        const int disabled = read_io_uring_disabled();
        if (disabled > 0)
            return fmt::format("io_uring is disabled on this host (sysctl kernel.io_uring_disabled={}); "
                               "set it to 0 to run uring_granian",
                               disabled);
        return "io_uring_setup was refused (EPERM): container runtimes' default seccomp profiles block "
               "io_uring; run with a profile that allows io_uring_setup/io_uring_enter/io_uring_register";
    }
    if (err == ENOSYS) return "this kernel has no io_uring (ENOSYS); uring_granian needs Linux 6.0 or newer";
    if (err == ENOMEM)
        return "io_uring_setup failed with ENOMEM: the locked-memory limit (ulimit -l) is too low for the rings";
    return fmt::format("io_uring_setup failed: {}", std::strerror(err));
}

} // namespace engine::core
