#pragma once
// What differs between io_uring and epoll, behind one interface the reactor drives. A backend owns its
// completion plumbing (io_uring: SQEs and the user_data encoding; epoll: readiness and direct syscalls)
// and reports through the Reactor's backend-facing calls (accepted, received, send finished, ...), so
// everything above it (slots, timers, the inbox, drain, the protocols) exists once.

#include <cstdint>
#include <memory>
#include <string>

namespace engine::core {

class Reactor;
class Stream;

class IoBackend {
  public:
    virtual ~IoBackend() = default;

    /// On the reactor thread, before anything else: "" or a one-line reason the backend cannot run.
    virtual std::string setup() = 0;
    /// Called once per reactor at start-up, for the debug log.
    virtual std::string describe() const = 0;
    /// Registers the ring's buffers with the send-buffer pool's memory when the backend can use that.
    virtual void init_send_buffers() = 0;

    virtual void start_accepting(std::uint32_t listener) = 0;
    /// Drain: no more accepts on any listener.
    virtual void stop_accepting() = 0;
    /// True while some listener still has an accept outstanding (the loop waits for the cancels).
    virtual bool accepting() const noexcept = 0;

    /// A stream just accepted, before its first start_reading: false when the backend cannot follow its
    /// socket (the reactor then tears it down). Every accept path (the backend's own, the drain's) goes
    /// through Reactor::accept_stream, which calls this, so none can leave a connection unwatched.
    virtual bool watch(Stream &stream) = 0;
    /// A new stream: start delivering its bytes.
    virtual void start_reading(Stream &stream) = 0;
    virtual void stop_reading(Stream &stream) = 0;
    /// Puts the front of stream.socket_output() on the socket (bytes or a file region). The output is
    /// not empty and no send is in flight. Progress is reported with Reactor::on_output_progress.
    virtual void send(Stream &stream) = 0;
    /// The socket is shut down; the backend calls Reactor::finish_op once per outstanding operation
    /// (and once for the teardown itself) so the slot is freed when all have ended.
    virtual void teardown(Stream &stream) = 0;

    /// Driven by another loop: true when a run has work left without waiting for poll_fd() (completions
    /// already in the queue, reads held back for fairness, teardowns to finish).
    virtual bool has_pending() const noexcept = 0;
    /// Hands the kernel what the last flush queued (sends, re-armed reads), without waiting.
    virtual void submit() = 0;

    /// Waits for events (at most `timeout_ms` when >= 0, forever when < 0; 0 polls) and dispatches them.
    virtual void wait_and_dispatch(int timeout_ms) = 0;
    /// A file descriptor that becomes readable when wait_and_dispatch(0) has work: lets another event loop
    /// (asyncio's) drive this reactor instead of a thread of its own.
    virtual int poll_fd() const noexcept = 0;
};

std::unique_ptr<IoBackend> make_uring_backend(Reactor &reactor);
std::unique_ptr<IoBackend> make_epoll_backend(Reactor &reactor);

} // namespace engine::core
