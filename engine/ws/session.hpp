#pragma once
// One WebSocket connection's protocol state after the 101: bytes from the peer in, whole messages
// out; pings answered, the close handshake run, keepalive pings scheduled. Pure: outgoing frames
// collect in an output buffer the connection sends, and time comes in as arguments.
//
// States: open -> closing (we sent a close frame, the peer's is awaited) -> closed; or open -> closed
// straight away when the peer closes first (our reply is queued), on a protocol violation (our
// close frame with 1002/1007/1009 is queued) or on a keepalive timeout (1011). Once closed, the
// connection flushes pending_output() and closes the socket (wants_transport_close()).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ws/frame_parser.hpp"
#include "ws/ping_schedule.hpp"
#include "ws/protocol.hpp"

namespace engine::ws {

struct SessionOptions {
    FrameParserLimits limits;
    PingPolicy ping;
    /// Assembly and output buffers above this capacity are freed once empty, so an idle connection
    /// that once carried a large message does not keep its memory.
    std::size_t retained_buffer_capacity = 16 * 1024;
};

enum class SessionState : std::uint8_t { open, closing, closed };

enum class SessionEventKind : std::uint8_t {
    need_more,  ///< all input used
    message,    ///< a complete text or binary message
    closed,     ///< the session has just become closed; close_code/close_reason say why
};

struct SessionEvent {
    SessionEventKind kind = SessionEventKind::need_more;
    Opcode opcode = Opcode::binary;  ///< message: text or binary
    /// message: the payload (text is valid UTF-8), valid until the next receive() call. It points
    /// into the input buffer when the message arrived whole in it, else into the session's buffer.
    std::string_view payload;
    /// closed: the peer's code (1005 if its close frame had none), or the code we failed the
    /// connection with (1002, 1007, 1009, 1011). This is what ASGI's websocket.disconnect reports.
    std::uint16_t close_code = 0;
    std::string_view close_reason;  ///< closed: valid until the next receive() call
};

class WebSocketSession {
  public:
    WebSocketSession(SessionOptions options, std::int64_t now_ms) noexcept;

    /// Consumes bytes from the front of `input` (unmasking them in place) and returns the next
    /// event. Call until need_more. Input after the session closed is discarded.
    SessionEvent receive(std::span<char> &input, std::int64_t now_ms);

    /// Queues a text or binary message as one frame. False when the session is no longer open (a
    /// close frame has been sent or received) and nothing was queued. Text must be valid UTF-8.
    bool send_message(Opcode opcode, std::string_view payload);

    /// Starts the close handshake with `code` and `reason` (cut to fit a control frame). Only from
    /// open; otherwise ignored.
    void start_close(std::uint16_t code, std::string_view reason = {});

    /// Keepalive: call when the timer fires (and after receive()). Queues a ping, or on a timeout
    /// queues a 1011 close and becomes closed. Returns what it did.
    PingAction on_timer(std::int64_t now_ms);
    /// When on_timer() next needs calling; PingDecision::never_ms when it does not.
    std::int64_t next_timer_ms(std::int64_t now_ms) const noexcept;

    /// Frames waiting to be sent, oldest first.
    std::string_view pending_output() const noexcept { return std::string_view(output_).substr(output_sent_); }
    /// The first `size` bytes of pending_output() were handed to the kernel.
    void consume_output(std::size_t size) noexcept;
    /// Moves all pending output out (for an output queue that owns what it sends); the session
    /// starts a fresh buffer.
    std::string take_output();

    SessionState state() const noexcept { return state_; }
    /// Closed and everything queued has been sent: the socket can be closed.
    bool wants_transport_close() const noexcept { return state_ == SessionState::closed && pending_output().empty(); }
    /// Whether incoming bytes still matter (the reactor may stop reading otherwise).
    bool wants_input() const noexcept { return state_ != SessionState::closed; }

  private:
    SessionEvent on_frame_event(const FrameEvent &event);
    SessionEvent on_control(const FrameEvent &event);
    SessionEvent close_with(std::uint16_t code, std::string_view reason);
    SessionEvent become_closed(std::uint16_t code, std::string_view reason);
    void release_delivered_message() noexcept;

    SessionOptions options_;
    FrameParser parser_;
    SessionState state_ = SessionState::open;
    PingClock ping_clock_;

    // A message that arrived in pieces is gathered here; `message_delivered_` frees it on the next call.
    std::string message_;
    bool message_delivered_ = false;
    // The reason of the close that ended the session, kept for the closed event's view.
    std::string close_reason_;

    std::string output_;
    std::size_t output_sent_ = 0;
};

} // namespace engine::ws
