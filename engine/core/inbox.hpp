#pragma once
// Thread-safe work queue into one reactor. Any thread posts; the reactor drains everything in one
// swap. The eventfd is written only when the queue goes from "drained" to "has work", so a burst of
// posts costs one wake (engine/handoff.hpp, which the Python bridge's dispatch queue uses too).

#include "engine/handler.hpp"
#include "engine/handoff.hpp"
#include "engine/response.hpp"
#include "engine/server.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace engine::core {

struct Command {
    enum class Kind : std::uint8_t {
        response_part,
        resume_body,
        abort,
        stop,
        websocket_accept,    ///< `websocket_accept` answers the exchange's opening handshake
        websocket_outbound,  ///< `websocket_outbound` goes to the exchange's session
        websocket_resume,    ///< after MessageFlow::pause
    };
    Kind kind = Kind::response_part;
    ExchangeId id;
    ResponsePart part;
    WebSocketAccept websocket_accept;
    WebSocketOutbound websocket_outbound;
};

/// Bytes in a body (a file region's length).
std::size_t body_size(const Body &body) noexcept;
/// Gives back what a body holds that was never sent: calls an external buffer's release, closes a
/// file. The body is empty afterwards.
void release_body(Body &body) noexcept;
/// The same for every body a command carries (the exchange is gone, or the reactor stopped).
void release_command(Command &command) noexcept;

class Inbox {
  public:
    /// Blocking eventfd: the reactor's backend reads it (io_uring answers -EAGAIN on O_NONBLOCK files).
    Inbox() : doorbell_(false) {}

    int eventfd() const noexcept { return doorbell_.fd(); }
    /// Single-threaded mode (the reactor runs on its poster's event loop): the first post after a drain calls
    /// `wake` on the posting thread instead of writing the eventfd, which nobody waits on then. Before any post.
    void wake_locally(std::function<void()> wake) { doorbell_.ring_locally(std::move(wake)); }
    /// Thread-safe. Only the first post after a drain wakes the reactor.
    void post(Command &&command) {
        queue_.post(std::move(command));
        doorbell_.ring();
    }
    /// Something was posted since the last drain.
    bool has_work() const noexcept { return doorbell_.rung(); }
    /// Reactor thread (its backend has read the eventfd): takes every queued command (into `out`, which is
    /// cleared first).
    void drain(std::vector<Command> &out) {
        out.clear();
        doorbell_.answer();
        queue_.take(out);
    }

  private:
    engine::Doorbell doorbell_;
    engine::HandoffQueue<Command> queue_;
};

} // namespace engine::core
