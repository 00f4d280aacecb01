#pragma once
// One WebSocket connection's protocol state after the 101: bytes from the peer in, whole messages
// out; pings answered, the close handshake run, keepalive pings scheduled. Pure: outgoing frames
// collect in an output buffer the connection sends, and time comes in as arguments.
//
// States: open -> closing (we sent a close frame, the peer's is awaited) -> closed; or open -> closed
// straight away when the peer closes first (our reply is queued) or on a keepalive timeout (1011);
// or open -> failing -> closed on a protocol violation. Once closed, the connection flushes
// pending_output() and closes the socket (wants_transport_close()).
//
// Why `failing`: the messages decoded ahead of the bad frame were handed out, and their answers
// (an echo, say) come from the handler later, possibly from another thread. RFC 6455 lets nothing
// follow a close frame, so the 1002/1007/1009 close frame waits until the handler has answered
// (finish_failure()); input is discarded meanwhile, messages may still be sent.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ws/deflate_codec.hpp"
#include "ws/deflate_offer.hpp"
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
    /// permessage-deflate as agreed in the handshake (RFC 7692); nullopt: off.
    std::optional<DeflateAgreement> deflate;
    /// Messages shorter than this go out uncompressed (deflate costs more than it saves on them).
    std::size_t compress_min_bytes = 128;
};

enum class SessionState : std::uint8_t { open, closing, failing, closed };

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
    /// After a protocol violation the state is `failing`: the close frame waits for finish_failure().
    std::uint16_t close_code = 0;
    std::string_view close_reason;  ///< closed: valid until the next receive() call
};

class WebSocketSession {
  public:
    WebSocketSession(SessionOptions options, std::int64_t now_ms);

    /// Consumes bytes from the front of `input` (unmasking them in place) and returns the next
    /// event. Call until need_more. Input after the session closed is discarded.
    SessionEvent receive(std::span<char> &input, std::int64_t now_ms);

    /// Queues a text or binary message as one frame. False when the session is no longer open (a
    /// close frame has been sent or received) and nothing was queued; while failing, the answers to
    /// the messages before the violation are still queued. Text must be valid UTF-8.
    bool send_message(Opcode opcode, std::string_view payload);

    /// Whether send_message() would compress a message of `size` bytes (it then copies and deflates it, so
    /// the connection hands large messages to it rather than sending the app's buffer as it is).
    bool compresses(std::size_t size) const noexcept {
        return options_.deflate.has_value() && size >= options_.compress_min_bytes;
    }

    /// Starts the close handshake with `code` and `reason` (cut to fit a control frame). Only from
    /// open; otherwise ignored.
    void start_close(std::uint16_t code, std::string_view reason = {});

    /// failing -> closed: queues the close frame of the protocol violation after whatever the
    /// handler answered. Otherwise ignored.
    void finish_failure();

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
    bool wants_input() const noexcept { return state_ == SessionState::open || state_ == SessionState::closing; }

  private:
    SessionEvent on_frame_event(const FrameEvent &event);
    SessionEvent on_control(const FrameEvent &event);
    SessionEvent on_compressed_data(const FrameEvent &event);
    SessionEvent close_with(std::uint16_t code, std::string_view reason);
    SessionEvent fail(std::uint16_t code);
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
    std::uint16_t failure_code_ = 0;  ///< failing: the close code finish_failure() sends

    std::string output_;
    std::size_t output_sent_ = 0;

    // permessage-deflate, created with the session when agreed; their zlib streams only when used.
    std::unique_ptr<MessageInflater> inflater_;
    std::unique_ptr<MessageDeflater> deflater_;
    std::string compressed_;  ///< send_message's scratch for a compressed payload
};

} // namespace engine::ws
