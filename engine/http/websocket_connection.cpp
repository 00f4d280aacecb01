// Connection's WebSocket mode: the offer at head-complete, the switch after the 101, frames in and
// out, keepalive and the close handshake. See websocket_connection.hpp for the whole story.

#include "http/websocket_connection.hpp"

#include "core/inbox.hpp"
#include "http/connection_factory.hpp"
#include "engine/log.hpp"
#include "http/canned_errors.hpp"
#include "http/connection.hpp"
#include "ws/frame_writer.hpp"
#include "ws/handshake.hpp"

#include <algorithm>

namespace engine::http {

namespace {

// The close frame a server sends to every open session when it stops (RFC 6455 7.4.1).
constexpr std::string_view shutdown_reason = "server shutting down";

ws::DeflatePolicy deflate_policy(const WebSocketConfig &config) noexcept {
    ws::DeflatePolicy policy;
    policy.server_max_window_bits = config.deflate_server_max_window_bits;
    policy.server_no_context_takeover = config.deflate_server_no_context_takeover;
    policy.client_max_window_bits = config.deflate_client_max_window_bits;
    policy.client_no_context_takeover = config.deflate_client_no_context_takeover;
    return policy;
}

std::string offered_extensions(const Request &request) {
    std::string joined;
    for (const auto &header : request.headers) {
        if (header.name != "sec-websocket-extensions") continue;
        if (!joined.empty()) joined += ", ";
        joined.append(header.value);
    }
    return joined;
}

ws::SessionOptions session_options(const WebSocketConfig &config, std::optional<ws::DeflateAgreement> deflate) {
    ws::SessionOptions options;
    options.deflate = deflate;
    options.compress_min_bytes = config.deflate_min_bytes;
    options.limits.max_message_size = config.max_message_bytes;
    options.ping.interval_ms = config.ping_interval.count();
    options.ping.timeout_ms = config.ping_timeout.count();
    options.retained_buffer_capacity = idle_buffer_capacity;
    return options;
}

} // namespace

bool Connection::check_websocket_offer(Request &request) {
    if (!request.upgrade || !host_.config().websocket.enabled) return true;
    const ws::UpgradeCheck check = ws::check_upgrade(request);
    std::string_view reason = check.reason;
    ws::UpgradeVerdict verdict = check.verdict;
    if (verdict == ws::UpgradeVerdict::not_websocket) return true;
    if (verdict == ws::UpgradeVerdict::accept && request.has_body()) {
        // llhttp would read such a body before the frames; no client sends one, so it is refused.
        verdict = ws::UpgradeVerdict::bad_request;
        reason = "a WebSocket opening handshake with a body";
    }
    if (verdict == ws::UpgradeVerdict::accept) {
        websocket_ = std::make_unique<WebSocketState>();
        websocket_->key.assign(check.key);
        websocket_->offered_subprotocols = ws::join_subprotocols(ws::requested_subprotocols(request));
        if (host_.config().websocket.per_message_deflate) websocket_->offered_extensions = offered_extensions(request);
        request.websocket = true;
        return true;
    }
    log(LogLevel::debug, "connection {}: refusing a WebSocket handshake: {}", slot(), reason);
    const RequestFacts facts{request.http_minor, request.is_head, request.keep_alive};
    head_scratch_.clear();
    if (verdict == ws::UpgradeVerdict::unsupported_version)
        write_response_head(head_scratch_, ws::unsupported_version_response_head(), facts, false, factory_.date(),
                            host_.config().server_header);
    else
        write_canned_error(head_scratch_, CannedError::bad_request, facts, factory_.date(),
                           host_.config().server_header, false);
    output.append_copy(head_scratch_);
    close_after_output();
    return false;
}

void Connection::accept_websocket(WebSocketAccept &accept) {
    const bool awaiting_answer = output_state_ == OutputState::awaiting_head && !has(CONN_F_WEBSOCKET);
    if (!awaiting_answer) {
        // Answered already (a denial on its way, or a second accept): what is in flight stays intact.
        log(LogLevel::error, "connection {}: accept_websocket for an exchange already answered; ignored", slot());
        return;
    }
    const std::string_view subprotocol = accept.subprotocol;
    const bool subprotocol_ok =
        subprotocol.empty() || (websocket_ && ws::subprotocol_offered(websocket_->offered_subprotocols, subprotocol));
    if (!websocket_ || !subprotocol_ok) {
        log(LogLevel::error, "connection {}: {}; answering 500", slot(),
            websocket_ ? fmt::format("accept_websocket chose subprotocol \"{}\", which the client did not offer",
                                     subprotocol)
                       : std::string("accept_websocket for a request that is no WebSocket handshake"));
        head_scratch_.clear();
        write_canned_error(head_scratch_, CannedError::internal_error, facts_, factory_.date(),
                           host_.config().server_header, false);
        output.append_copy(head_scratch_);
        abort_exchange();  // the handler hears the exchange ended without its answer
        close_after_output();
        return;
    }
    const WebSocketConfig &config = host_.config().websocket;
    std::optional<ws::DeflateAgreement> deflate;
    std::string header_lines = std::move(accept.header_lines);
    if (!websocket_->offered_extensions.empty())
        deflate = ws::negotiate_deflate(websocket_->offered_extensions, deflate_policy(config));
    if (deflate) header_lines += "Sec-WebSocket-Extensions: " + ws::deflate_response_value(*deflate) + "\r\n";
    head_scratch_.clear();
    write_response_head(head_scratch_, ws::accept_response_head(websocket_->key, subprotocol, header_lines),
                        facts_, true, factory_.date(), host_.config().server_header);
    output.append_copy(head_scratch_);

    // The switch: HTTP never resumes on this connection, so its per-request storage goes now.
    clear(CONN_F_EXCHANGE_ACTIVE | CONN_F_BODY_TO_HANDLER | CONN_F_READ_PAUSED | CONN_F_CONTINUE_SENT);
    set(CONN_F_WEBSOCKET | CONN_F_WS_LIVE);
    output_state_ = OutputState::idle;
    input_state_ = InputState::complete;
    parser_.reset();
    std::string().swap(head_scratch_);
    std::string().swap(websocket_->key);
    std::string().swap(websocket_->offered_subprotocols);
    std::string().swap(websocket_->offered_extensions);
    websocket_->session.emplace(session_options(config, deflate),
                                static_cast<std::int64_t>(host_.now_ms()));
    host_.want_send(*this);
    arm_websocket_timer();
    if (host_.draining()) begin_websocket_drain();
    // Frames the client sent right behind its handshake were stashed with the request's tail.
    resume_websocket();
}

void Connection::websocket_input(std::span<char> input) {
    if (has(CONN_F_READ_PAUSED)) {
        // Paused by the handler: keep what is still in flight and stop reading; TCP pushes back.
        stash_.append(input.data(), input.size());
        if (!has(CONN_F_STOP_READING)) {
            set(CONN_F_STOP_READING);
            host_.stop_reading(*this);
        }
        return;
    }
    ws::WebSocketSession &session = *websocket_->session;
    const auto now = static_cast<std::int64_t>(host_.now_ms());
    bool closed = false;
    for (;;) {
        const ws::SessionEvent event = session.receive(input, now);
        if (event.kind == ws::SessionEventKind::need_more) break;
        if (event.kind == ws::SessionEventKind::closed) {
            if (session.state() == ws::SessionState::failing) {
                // The answers to the messages before the violation are still to come; the handler
                // posts a close once it has answered them (see Handler::on_ws_close), else ws_fail.
                set(CONN_F_WS_FAILING);
                report_websocket_close(event.close_code, event.close_reason);
                arm_timer(TimerKind::ws_fail);
                flush_websocket_output();  // pongs queued before the violation
                return;
            }
            report_websocket_close(event.close_code, event.close_reason);
            closed = true;
            break;
        }
        if (!has(CONN_F_WS_LIVE)) continue;  // defensive: nothing reaches a handler after on_ws_close
        const bool text = event.opcode == ws::Opcode::text;
        if (host_.handler().on_ws_message(id(), text, event.payload) == MessageFlow::pause) {
            set(CONN_F_READ_PAUSED);
            websocket_input(input);  // stashes the rest
            break;
        }
    }
    flush_websocket_output();
    if (closed) close_after_output();
    else arm_websocket_timer();  // hearing from the peer moves the next ping
}

void Connection::resume_websocket() {
    if (has(CONN_F_TEARDOWN | CONN_F_CLOSE_AFTER_OUTPUT)) return;
    clear(CONN_F_READ_PAUSED);
    if (!stash_.empty()) {
        std::string pending = std::move(stash_);
        stash_ = std::string();
        websocket_input(std::span<char>(pending.data(), pending.size()));
    }
    if (has(CONN_F_STOP_READING) && !has(CONN_F_READ_PAUSED | CONN_F_TEARDOWN | CONN_F_CLOSE_AFTER_OUTPUT)) {
        clear(CONN_F_STOP_READING);
        host_.start_reading(*this);
    }
}

void Connection::post_websocket(WebSocketOutbound &outbound) {
    const ws::SessionState state = has(CONN_F_WEBSOCKET) ? websocket_->session->state() : ws::SessionState::closed;
    if (state == ws::SessionState::failing) {
        // Answers to messages from before the violation still go out (their on_sent too, so a waiting
        // sender is released); a close says the handler is done.
        if (outbound.kind == WebSocketOutbound::Kind::close) {
            core::release_body(outbound.payload);
            finish_websocket_failure();
            if (outbound.notify_sent) host_.defer_sent_notification(id());  // a sender may wait on it
            return;
        }
    }
    const bool open = state == ws::SessionState::open || state == ws::SessionState::failing;
    if (!open) {
        if (!has(CONN_F_WEBSOCKET))
            log(LogLevel::error, "connection {}: post_websocket before the handshake was accepted; dropped", slot());
        core::release_body(outbound.payload);
        if (outbound.notify_sent) host_.defer_sent_notification(id());  // nothing is left to wait for
        return;
    }
    ws::WebSocketSession &session = *websocket_->session;
    if (outbound.kind == WebSocketOutbound::Kind::close) {
        const auto *reason = std::get_if<std::string>(&outbound.payload);
        session.start_close(outbound.close_code, reason ? std::string_view(*reason) : std::string_view{});
        core::release_body(outbound.payload);
        arm_timer(TimerKind::ws_close);
        read_to_close_reply();
    } else if (std::holds_alternative<FileRegion>(outbound.payload)) {
        log(LogLevel::error, "connection {}: a WebSocket message cannot be a file; dropped", slot());
        core::release_body(outbound.payload);
    } else {
        const ws::Opcode opcode =
            outbound.kind == WebSocketOutbound::Kind::text ? ws::Opcode::text : ws::Opcode::binary;
        const std::size_t size = core::body_size(outbound.payload);
        if (size <= copy_body_below || session.compresses(size)) {
            // Framed (and maybe compressed) by the session: one copy, and it leaves in the same send as
            // pending pongs.
            std::string_view payload;
            if (const auto *owned = std::get_if<std::string>(&outbound.payload)) payload = *owned;
            else if (const auto *external = std::get_if<ExternalBuffer>(&outbound.payload))
                payload = std::string_view(external->data, external->size);
            session.send_message(opcode, payload);
            core::release_body(outbound.payload);
        } else {
            // Large: the header is written on its own and the payload queued as it is (no copy).
            flush_websocket_output();  // what the session queued before goes first
            char header[ws::max_server_frame_header];
            const std::size_t header_size = ws::write_frame_header(header, opcode, true, size);
            output.append_copy(std::string_view(header, header_size));
            queue_body(outbound.payload, size);
        }
    }
    flush_websocket_output();
    if (outbound.notify_sent && !output.notify_when_sent(id())) host_.defer_sent_notification(id());
    host_.want_send(*this);
}

void Connection::flush_websocket_output() {
    if (!websocket_ || !websocket_->session) return;
    ws::WebSocketSession &session = *websocket_->session;
    const std::string_view pending = session.pending_output();
    if (pending.empty()) return;
    if (pending.size() <= copy_body_below) {
        output.append_copy(pending);  // the session keeps its (small) buffer for the next frames
        session.consume_output(pending.size());
    } else {
        output.append_owned(session.take_output());
    }
    host_.want_send(*this);
}

void Connection::report_websocket_close(std::uint16_t code, std::string_view reason) {
    if (!has(CONN_F_WS_LIVE)) return;
    clear(CONN_F_WS_LIVE);
    host_.handler().on_ws_close(id(), code, reason);
}

void Connection::arm_websocket_timer() {
    // A close or shutdown deadline, once armed, is what matters: pings stop with our close frame.
    if (timer_kind_ != TimerKind::none && timer_kind_ != TimerKind::ws_keepalive) return;
    const auto now = static_cast<std::int64_t>(host_.now_ms());
    const std::int64_t next = websocket_->session->next_timer_ms(now);
    if (next == ws::PingDecision::never_ms) {
        arm_timer(TimerKind::none);
        return;
    }
    timer_kind_ = TimerKind::ws_keepalive;
    host_.timers().schedule(timer, static_cast<std::uint64_t>(std::max(next, now)));
}

void Connection::on_websocket_timeout() {
    timer_kind_ = TimerKind::none;
    ws::WebSocketSession &session = *websocket_->session;
    if (session.on_timer(static_cast<std::int64_t>(host_.now_ms())) == ws::PingAction::timed_out) {
        report_websocket_close(ws::close_code::internal_error, "keepalive ping timeout");
        flush_websocket_output();
        close_after_output();
        return;
    }
    flush_websocket_output();
    arm_websocket_timer();
}

void Connection::begin_websocket_drain() {
    ws::WebSocketSession &session = *websocket_->session;
    if (session.state() != ws::SessionState::open) return;  // closing already, on its own deadline
    session.start_close(ws::close_code::going_away, shutdown_reason);
    flush_websocket_output();
    arm_timer(TimerKind::shutdown);
    read_to_close_reply();
}

void Connection::finish_websocket_failure() {
    if (!has(CONN_F_WS_FAILING)) return;
    clear(CONN_F_WS_FAILING);
    if (timer_kind_ == TimerKind::ws_fail) arm_timer(TimerKind::none);
    websocket_->session->finish_failure();
    flush_websocket_output();
    close_after_output();
}

void Connection::read_to_close_reply() {
    // After our close frame no message reaches the handler (the session drops them), so a pause
    // no longer protects anything, while it would keep the peer's close reply unread.
    if (has(CONN_F_READ_PAUSED)) resume_websocket();
}

} // namespace engine::http
