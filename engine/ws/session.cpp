#include "ws/session.hpp"

#include <utility>

#include "ws/frame_writer.hpp"

namespace engine::ws {
namespace {

void release_if_large(std::string &buffer, std::size_t retained_capacity) noexcept {
    buffer.clear();
    if (buffer.capacity() > retained_capacity) std::string().swap(buffer);
}

FrameParserLimits parser_limits(const SessionOptions &options) noexcept {
    FrameParserLimits limits = options.limits;
    limits.allow_compressed = options.deflate.has_value();  // RSV1 means something only once agreed
    return limits;
}

} // namespace

WebSocketSession::WebSocketSession(SessionOptions options, std::int64_t now_ms)
    : options_(std::move(options)), parser_(parser_limits(options_)) {
    ping_clock_.last_heard_ms = now_ms;
    if (const auto &deflate = options_.deflate) {
        inflater_ = std::make_unique<MessageInflater>(deflate->client_window_bits, deflate->client_no_context_takeover);
        deflater_ = std::make_unique<MessageDeflater>(deflate->server_window_bits, deflate->server_no_context_takeover);
    }
}

void WebSocketSession::release_delivered_message() noexcept {
    if (!message_delivered_) return;
    message_delivered_ = false;
    release_if_large(message_, options_.retained_buffer_capacity);
}

SessionEvent WebSocketSession::receive(std::span<char> &input, std::int64_t now_ms) {
    release_delivered_message();
    if (!wants_input()) {
        input = {};
        return {};
    }
    for (;;) {
        const FrameEvent frame = parser_.next(input);
        if (frame.kind == FrameEventKind::need_more) return {};
        if (frame.kind != FrameEventKind::error) note_heard(ping_clock_, now_ms);
        SessionEvent event = on_frame_event(frame);
        if (event.kind != SessionEventKind::need_more) return event;
    }
}

SessionEvent WebSocketSession::on_frame_event(const FrameEvent &event) {
    switch (event.kind) {
    case FrameEventKind::need_more: return {};
    case FrameEventKind::error: return fail(event.close_code);
    case FrameEventKind::control: return on_control(event);
    case FrameEventKind::message_data: break;
    }
    // After our close frame the application is done with the stream: data is read only to reach
    // the peer's close frame.
    if (state_ != SessionState::open) return {};
    if (event.compressed) return on_compressed_data(event);
    SessionEvent message;
    message.kind = SessionEventKind::message;
    message.opcode = event.opcode;
    if (event.message_start && event.message_end) {
        message.payload = event.payload;  // whole in the caller's buffer: no copy
        return message;
    }
    message_.append(event.payload);
    if (!event.message_end) return {};
    message_delivered_ = true;
    message.payload = message_;
    return message;
}

SessionEvent WebSocketSession::on_compressed_data(const FrameEvent &event) {
    // Inflated straight into the assembly buffer, never past the message limit: a small frame that would
    // inflate to gigabytes costs at most max_message_size before it fails with 1009.
    const auto limit = static_cast<std::size_t>(options_.limits.max_message_size);
    switch (inflater_->inflate(event.payload, event.message_end, message_, limit)) {
    case InflateResult::ok: break;
    case InflateResult::too_big: return fail(close_code::message_too_big);
    case InflateResult::corrupt: return fail(close_code::invalid_payload);
    }
    if (!event.message_end) return {};
    if (event.opcode == Opcode::text && !is_valid_utf8(message_)) return fail(close_code::invalid_payload);
    message_delivered_ = true;
    SessionEvent message;
    message.kind = SessionEventKind::message;
    message.opcode = event.opcode;
    message.payload = message_;
    return message;
}

SessionEvent WebSocketSession::on_control(const FrameEvent &event) {
    switch (event.opcode) {
    case Opcode::ping:
        // No frame may follow our close frame (5.5.1), so a ping after it goes unanswered.
        if (state_ == SessionState::open) append_frame(output_, Opcode::pong, true, event.payload);
        return {};
    case Opcode::close:
        // Echo the peer's code (an empty reply to an empty close frame), then close (5.5.1).
        if (state_ == SessionState::open) append_close_frame(output_, event.close_code);
        return become_closed(event.close_code, event.close_reason);
    default: return {};  // a pong, solicited or not, only proves the peer is alive
    }
}

SessionEvent WebSocketSession::close_with(std::uint16_t code, std::string_view reason) {
    if (state_ == SessionState::open) append_close_frame(output_, code, reason);
    return become_closed(code, reason);
}

SessionEvent WebSocketSession::fail(std::uint16_t code) {
    if (state_ != SessionState::open) return close_with(code, {});  // our close frame is out already
    state_ = SessionState::failing;
    failure_code_ = code;
    release_if_large(message_, options_.retained_buffer_capacity);  // a partial message will never be delivered
    close_reason_.clear();
    SessionEvent event;
    event.kind = SessionEventKind::closed;
    event.close_code = code;
    event.close_reason = close_reason_;
    return event;
}

void WebSocketSession::finish_failure() {
    if (state_ != SessionState::failing) return;
    append_close_frame(output_, failure_code_);
    state_ = SessionState::closed;
}

SessionEvent WebSocketSession::become_closed(std::uint16_t code, std::string_view reason) {
    state_ = SessionState::closed;
    close_reason_.assign(reason);
    SessionEvent event;
    event.kind = SessionEventKind::closed;
    event.close_code = code;
    event.close_reason = close_reason_;
    return event;
}

bool WebSocketSession::send_message(Opcode opcode, std::string_view payload) {
    if (state_ != SessionState::open && state_ != SessionState::failing) return false;
    if (compresses(payload.size())) {
        compressed_.clear();
        if (deflater_->compress(payload, compressed_)) {
            append_frame(output_, opcode, true, compressed_, header_bits::rsv1);
            release_if_large(compressed_, options_.retained_buffer_capacity);
            return true;
        }
        // zlib out of memory: the message still goes, uncompressed (RSV1 is per message).
    }
    append_frame(output_, opcode, true, payload);
    return true;
}

void WebSocketSession::start_close(std::uint16_t code, std::string_view reason) {
    if (state_ != SessionState::open) return;
    append_close_frame(output_, code, reason);
    state_ = SessionState::closing;
    release_if_large(message_, options_.retained_buffer_capacity);  // a partial message will never be delivered
}

PingAction WebSocketSession::on_timer(std::int64_t now_ms) {
    if (state_ == SessionState::closed || state_ == SessionState::failing) return PingAction::none;
    const PingDecision decision = decide_ping(options_.ping, ping_clock_, now_ms);
    switch (decision.action) {
    case PingAction::none: break;
    case PingAction::send_ping:
        if (state_ == SessionState::open) append_frame(output_, Opcode::ping, true, {});
        ping_clock_.ping_sent_ms = now_ms;
        break;
    case PingAction::timed_out: close_with(close_code::internal_error, "keepalive ping timeout"); break;
    }
    return decision.action;
}

std::int64_t WebSocketSession::next_timer_ms(std::int64_t now_ms) const noexcept {
    if (state_ == SessionState::closed || state_ == SessionState::failing) return PingDecision::never_ms;
    const PingDecision decision = decide_ping(options_.ping, ping_clock_, now_ms);
    return decision.action == PingAction::none ? decision.next_check_ms : now_ms;
}

std::string WebSocketSession::take_output() {
    std::string taken = std::move(output_);
    taken.erase(0, output_sent_);
    output_.clear();  // a moved-from string is valid but unspecified
    output_sent_ = 0;
    return taken;
}

void WebSocketSession::consume_output(std::size_t size) noexcept {
    output_sent_ += size;
    if (output_sent_ < output_.size()) return;
    output_sent_ = 0;
    release_if_large(output_, options_.retained_buffer_capacity);
}

} // namespace engine::ws
