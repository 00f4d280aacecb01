#include "http/connection.hpp"

#include "core/inbox.hpp"
#include "http/connection_factory.hpp"
#include "engine/log.hpp"
#include "http/canned_errors.hpp"
#include "http/tls_transport.hpp"
#include "http/websocket_connection.hpp"
#include "http2/session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>

namespace engine::http {

namespace {

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// How long a closing connection keeps reading (and discarding) after its last response, so
// the client sees that response instead of a reset caused by unread input (lingering close).
constexpr std::uint64_t lingering_ms = 2'000;

// How long a draining server keeps an idle keep-alive connection open, reading. A client may have sent its next
// request just before the drain began (it cannot know): that request is on the wire for a round trip and is
// answered with Connection: close if it arrives within the grace. One second covers any sane round trip, while
// an idle browser connection delays the stop by that second at most; --graceful-timeout bounds it further.
// Closing sooner is exactly the keep-alive close race that gives wrk read errors in a rolling restart.
constexpr std::uint64_t drain_idle_grace_ms = 1'000;

CannedError canned_for(ParseError error) noexcept {
    switch (error) {
    case ParseError::uri_too_long: return CannedError::uri_too_long;
    case ParseError::header_fields_too_large: return CannedError::header_fields_too_large;
    case ParseError::payload_too_large: return CannedError::payload_too_large;
    case ParseError::not_implemented: return CannedError::not_implemented;
    case ParseError::method_not_allowed: return CannedError::method_not_allowed;
    default: return CannedError::bad_request;
    }
}

// A 405 must carry Allow (RFC 9110 15.5.6). The parser's only 405 is for CONNECT, whose target (a tunnel) allows
// no method: an empty value says so (RFC 9110 10.2.1).
std::string_view canned_header_lines_for(ParseError error) noexcept {
    return error == ParseError::method_not_allowed ? "Allow: \r\n" : std::string_view{};
}

Endpoint endpoint_of(const sockaddr_storage &storage) {
    Endpoint endpoint;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
        const auto &address = reinterpret_cast<const sockaddr_in &>(storage);
        inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
        endpoint.family = Endpoint::Family::inet;
        endpoint.port = ntohs(address.sin_port);
    } else if (storage.ss_family == AF_INET6) {
        const auto &address = reinterpret_cast<const sockaddr_in6 &>(storage);
        inet_ntop(AF_INET6, &address.sin6_addr, text, sizeof text);
        endpoint.family = Endpoint::Family::inet6;
        endpoint.port = ntohs(address.sin6_port);
    } else if (storage.ss_family == AF_UNIX) {
        const auto &address = reinterpret_cast<const sockaddr_un &>(storage);
        endpoint.family = Endpoint::Family::unix_path;
        endpoint.host = address.sun_path;
        return endpoint;
    }
    endpoint.host = text;
    return endpoint;
}

// The kernel copies zero-copy sends to loopback and Unix peers anyway and then adds a notification
// completion: measured slower at every size (perf/results/send_zc_threshold.md).
bool is_local_peer(const sockaddr_storage &storage) noexcept {
    if (storage.ss_family == AF_UNIX) return true;
    if (storage.ss_family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in &>(storage).sin_addr.s_addr) >> 24) == 127;
    if (storage.ss_family == AF_INET6) {
        const in6_addr &address = reinterpret_cast<const sockaddr_in6 &>(storage).sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&address) ||
               (IN6_IS_ADDR_V4MAPPED(&address) && address.s6_addr[12] == 127);
    }
    return false;
}

} // namespace

Connection::Connection(core::StreamHost &host, ConnectionFactory &factory, std::uint32_t slot)
    : core::Stream(host, slot), output(host.send_buffers()), factory_(factory) {}

Connection::~Connection() = default;

void Connection::on_open() {
    parser_.emplace(host_.config().limits);
    output_state_ = OutputState::idle;
    input_state_ = InputState::head;
    if (const tls::TlsContext *context = factory_.tls_context()) {
        tls_ = std::make_unique<TlsTransport>(*context, host_.send_buffers(), *this);
        socket_output_ = &tls_->wire();
    }
    arm_timer(TimerKind::header_read);  // also bounds the TLS handshake
}

void Connection::release() {
    host_.timers().cancel(timer);
    timer_kind_ = TimerKind::none;
    http2_.reset();  // before the output: its streams' bodies go back first
    output.clear();
    tls_.reset();
    socket_output_ = &output;
    parser_.reset();
    websocket_.reset();
    std::string().swap(stash_);
    if (fd() >= 0) ::close(fd());
    detach();
    peer_ = {};
    local_ = {};
}

std::error_code Connection::prepare_output(std::vector<ExchangeId> &sent) {
    if (!tls_) return {};
    // The plaintext queue becomes ciphertext one bounded step at a time, only once the previous step has
    // been sent, so back-pressure still reaches the handler. Files take the same road (no sendfile: see
    // TlsTransport::encrypt_file_step).
    while (tls_->wire().empty() && !output.empty()) {
        const std::error_code error =
            output.front_is_file() ? tls_->encrypt_file_step(output, sent) : tls_->encrypt_queued(output, sent);
        if (error) return error;
    }
    return {};
}

ExchangeId Connection::id() const noexcept {
    return ExchangeId{host_.index(), slot(), exchange_generation_};
}

bool Connection::server_keep_alive() const noexcept {
    return host_.config().keep_alive && !host_.draining() && !has(CONN_F_CLOSE_AFTER_OUTPUT);
}

void Connection::arm_timer(TimerKind kind) {
    const auto &timeouts = host_.config().timeouts;
    std::uint64_t delay_ms = 0;
    switch (kind) {
    case TimerKind::none:
        host_.timers().cancel(timer);
        timer_kind_ = kind;
        return;
    case TimerKind::header_read: delay_ms = static_cast<std::uint64_t>(timeouts.header_read.count()); break;
    case TimerKind::keep_alive_idle: delay_ms = static_cast<std::uint64_t>(timeouts.keep_alive_idle.count()); break;
    case TimerKind::lingering: delay_ms = lingering_ms; break;
    case TimerKind::shutdown: delay_ms = static_cast<std::uint64_t>(timeouts.graceful_shutdown.count()); break;
    case TimerKind::drain_idle:
        delay_ms = std::min<std::uint64_t>(drain_idle_grace_ms, static_cast<std::uint64_t>(timeouts.graceful_shutdown.count()));
        break;
    case TimerKind::ws_keepalive:
        delay_ms = static_cast<std::uint64_t>(host_.config().websocket.ping_interval.count());
        break;
    case TimerKind::ws_close:
    case TimerKind::ws_fail:
        delay_ms = static_cast<std::uint64_t>(host_.config().websocket.close_timeout.count());
        break;
    case TimerKind::h2_ping:
        delay_ms = static_cast<std::uint64_t>(
            (http2_ping_pending() ? host_.config().http2.keep_alive_timeout : host_.config().http2.keep_alive_interval)
                .count());
        break;
    case TimerKind::h2_stall:
        delay_ms = static_cast<std::uint64_t>(host_.config().http2.keep_alive_timeout.count());
        break;
    }
    timer_kind_ = kind;
    host_.timers().schedule(timer, host_.now_ms() + delay_ms);
}

// ---------------------------------------------------------------------------------------------
// Input

void Connection::on_data(std::string_view data) {
    if (!tls_) {
        on_plaintext(data);
        return;
    }
    if (has(CONN_F_LINGERING | CONN_F_TEARDOWN)) return;  // discard
    if (const std::error_code error = tls_->on_ciphertext(data)) {
        // Garbage, plaintext HTTP or a refused client certificate: only this connection ends.
        log(LogLevel::debug, "connection {}: TLS failed: {}", slot(), error.message());
        tls_->send_alert_now(fd());
        abort_exchange();
        host_.teardown(*this);
        return;
    }
    if (!tls_->wire().empty()) host_.want_send(*this);  // handshake messages, tickets
}

void Connection::on_plaintext(std::string_view data) {
    if (has(CONN_F_LINGERING | CONN_F_TEARDOWN)) return;  // discard
    // The one test HTTP/2 adds to the HTTP/1 path: the protocol is chosen on the first bytes.
    if (!has(CONN_F_HTTP1)) {
        if (http2_) http2_input(data);
        else choose_protocol(data);
        return;
    }
    if (has(CONN_F_CLOSE_AFTER_OUTPUT) && !has(CONN_F_EXCHANGE_ACTIVE)) return;  // no further requests
    if (has(CONN_F_WEBSOCKET)) {
        // Frames are unmasked in place. `data` is ours and writable: provided-buffer ring memory, or
        // the TLS session's plaintext array; only the view is const.
        websocket_input(std::span<char>(const_cast<char *>(data.data()), data.size()));
        return;
    }
    if (!stash_.empty() || has(CONN_F_IN_INPUT)) {
        stash(data);
        resume_input();
        return;
    }
    process_input(data);
}

void Connection::stash(std::string_view data) {
    stash_.append(data);
    // Bound what a client can make us buffer while we wait: stop reading and let TCP push back.
    if (stash_.size() > 4 * static_cast<std::size_t>(host_.config().recv_buffer_size) &&
        !has(CONN_F_STOP_READING)) {
        set(CONN_F_STOP_READING);
        host_.stop_reading(*this);
    }
}

void Connection::resume_input() {
    if (has(CONN_F_IN_INPUT | CONN_F_TEARDOWN | CONN_F_LINGERING)) return;
    if (!stash_.empty()) {
        std::string pending = std::move(stash_);
        stash_.clear();
        process_input(pending);
    }
    if (has(CONN_F_STOP_READING) && stash_.empty() && !has(CONN_F_TEARDOWN | CONN_F_PEER_EOF)) {
        clear(CONN_F_STOP_READING);
        host_.start_reading(*this);
    }
}

void Connection::process_input(std::string_view data) {
    set(CONN_F_IN_INPUT);
    while (!has(CONN_F_TEARDOWN | CONN_F_LINGERING)) {
        // Closing: the current request is still read to its end, nothing after it.
        if (has(CONN_F_CLOSE_AFTER_OUTPUT) && !has(CONN_F_EXCHANGE_ACTIVE)) break;
        // Pipelined bytes wait until the current response is complete; a paused body waits too.
        if (input_state_ == InputState::complete || has(CONN_F_READ_PAUSED)) {
            if (!data.empty()) stash(data);
            break;
        }
        if (input_state_ == InputState::head && !data.empty() &&
            (timer_kind_ == TimerKind::keep_alive_idle || timer_kind_ == TimerKind::drain_idle))
            arm_timer(TimerKind::header_read);  // the first byte of the next request starts the head clock
        const RequestParser::Result result = parser_->feed(data, *this);
        data.remove_prefix(result.consumed);
        if (result.status == RequestParser::Status::need_more) break;
        if (result.status == RequestParser::Status::error) {
            fail_request(parser_->error());
            break;
        }
        if (result.status == RequestParser::Status::head_complete) {
            if (!check_websocket_offer(parser_->request())) break;  // refused and closing
            dispatch();
        } else {
            on_message_complete();
        }
    }
    clear(CONN_F_IN_INPUT);
    if (has(CONN_F_PEER_EOF)) close_at_end_of_input();
}

void Connection::dispatch() {
    // The request stays in the parser (reused for the next one, no allocation) unless the handler
    // takes it to another thread.
    Request &request = parser_->request();
    exchange_generation_ = host_.next_exchange_generation();
    facts_ = RequestFacts{request.http_minor, request.is_head, request.keep_alive};
    request_has_body_ = request.has_body();
    expects_continue_ = request.expect_continue && request_has_body_ && request.http_minor >= 1;
    set(CONN_F_EXCHANGE_ACTIVE | CONN_F_BODY_TO_HANDLER);
    clear(CONN_F_CONTINUE_SENT);
    output_state_ = OutputState::awaiting_head;
    input_state_ = InputState::body;  // until message_complete, even for an empty body
    body_remaining_.reset();
    arm_timer(TimerKind::none);
    fill_endpoints();
    request.peer = peer_;
    request.local = local_;
    request.tls = tls_ != nullptr;
    if (tls_) request.tls_info = tls_->info();
    host_.count_request();

    host_.handler().on_request(*this);

    // The client waits for an interim 100 before sending the body; send it unless the handler
    // already answered (then the body is not wanted and the connection closes after the response).
    if (expects_continue_ && output_state_ == OutputState::awaiting_head && input_state_ == InputState::body &&
        !has(CONN_F_CONTINUE_SENT)) {
        set(CONN_F_CONTINUE_SENT);
        output.append_copy(continue_response);
        host_.want_send(*this);
    }
}

void Connection::on_body_data(std::string_view data) {
    if (!has(CONN_F_BODY_TO_HANDLER) || data.empty()) return;
    if (host_.handler().on_body(id(), data, false) == BodyFlow::pause) set(CONN_F_READ_PAUSED);
}

void Connection::on_message_complete() {
    if (request_has_body_ && has(CONN_F_BODY_TO_HANDLER)) host_.handler().on_body(id(), {}, true);
    clear(CONN_F_BODY_TO_HANDLER);
    if (output_state_ == OutputState::idle) {
        // A message completed with no exchange: nothing was dispatched (cannot happen with a sane
        // parser), treat as protocol error.
        fail_request(ParseError::bad_request);
        return;
    }
    input_state_ = InputState::complete;
    if (output_state_ == OutputState::done) finish_exchange();
}

void Connection::fail_request(ParseError error) {
    log(LogLevel::debug, "connection {}: rejecting request: {}", slot(), parser_->error_reason());
    if (has(CONN_F_EXCHANGE_ACTIVE) && output_state_ == OutputState::done) {
        // The response is complete and the rest of the request body, read only to be discarded, is bad:
        // the response still leaves, then the connection closes (nothing after it can be trusted).
        abort_exchange();
        close_after_output();
        return;
    }
    const bool response_started = has(CONN_F_EXCHANGE_ACTIVE) && output_state_ != OutputState::awaiting_head;
    if (has(CONN_F_EXCHANGE_ACTIVE)) abort_exchange();
    if (response_started) {
        host_.teardown(*this);
        return;
    }
    head_scratch_.clear();
    write_canned_error(head_scratch_, canned_for(error), RequestFacts{}, factory_.date(), host_.config().server_header,
                       false, canned_header_lines_for(error));
    output.append_copy(head_scratch_);
    close_after_output();
}

void Connection::abort_exchange() {
    if (!has(CONN_F_EXCHANGE_ACTIVE)) return;
    clear(CONN_F_EXCHANGE_ACTIVE | CONN_F_BODY_TO_HANDLER);
    const bool response_complete = output_state_ == OutputState::done;
    output_state_ = OutputState::idle;
    // Only an unfinished response is news to the handler (a complete one may still be discarding
    // the request body).
    if (!response_complete) host_.handler().on_abort(id());
}

void Connection::on_teardown() {
    if (http2_) http2_->abort_streams();
    abort_exchange();
    report_websocket_close(ws::close_code::abnormal, {});
}

void Connection::on_peer_closed() {
    if (has(CONN_F_TEARDOWN)) return;
    if (has(CONN_F_LINGERING)) {
        host_.teardown(*this);
        return;
    }
    if (http2_) {
        // Open streams still get their responses; the connection closes once none is left (http2_flush).
        set(CONN_F_PEER_EOF);
        http2_flush();
        return;
    }
    if (has(CONN_F_WEBSOCKET) || websocket_) {
        // Gone without a close frame (RFC 6455 7.1.5: 1006). Our last frames may still be leaving.
        report_websocket_close(ws::close_code::abnormal, {});
        if (has(CONN_F_EXCHANGE_ACTIVE) && output_state_ != OutputState::done) {
            abort_exchange();
            host_.teardown(*this);
            return;
        }
        if (output.empty() && !has(CONN_F_SEND_IN_FLIGHT)) {
            host_.teardown(*this);
            return;
        }
        set(CONN_F_CLOSE_AFTER_OUTPUT);
        return;
    }
    // A FIN after a complete request means "no more requests", not "abort" (simple clients shut their
    // write side once the request is out): the responses still go out, then the connection closes.
    set(CONN_F_PEER_EOF);
    if (!has(CONN_F_IN_INPUT)) close_at_end_of_input();  // else process_input() ends with it
}

void Connection::close_at_end_of_input() {
    if (has(CONN_F_TEARDOWN | CONN_F_LINGERING | CONN_F_CLOSE_AFTER_OUTPUT)) return;
    if (has(CONN_F_EXCHANGE_ACTIVE)) {
        // A complete request is answered first (finish_exchange() comes back here); bytes still stashed
        // (a paused body, pipelined requests) are read first.
        if (input_state_ == InputState::complete || !stash_.empty() || has(CONN_F_READ_PAUSED)) return;
        // The request body was cut short by the FIN: it can never complete.
        if (output_state_ != OutputState::done) {
            abort_exchange();
            host_.teardown(*this);
            return;
        }
        abort_exchange();  // answered already: only the unread rest of the body is missing
    }
    // Responses already queued still leave; half a request before the FIN has nothing to answer.
    close_after_output();
}

void Connection::on_read_error() {
    if (has(CONN_F_TEARDOWN)) return;
    abort_exchange();
    host_.teardown(*this);  // on_teardown reports 1006 to a live WebSocket session
}

void Connection::cut_exchange() {
    if (has(CONN_F_WEBSOCKET) || output_state_ == OutputState::awaiting_head) {
        // Nothing of a response is queued: there is nothing to deliver first.
        abort_exchange();
        host_.teardown(*this);
        return;
    }
    // What was queued is delivered: a teardown now would make the client see the head and first chunks
    // or nothing, depending on timing. The end of the body (a chunked terminator, the rest of a
    // Content-Length) never comes, so the client can tell the response is incomplete.
    abort_exchange();
    close_after_output();
}

void Connection::on_send_error() { host_.teardown(*this); }

void Connection::on_timeout() {
    if (http2_ && (timer_kind_ == TimerKind::keep_alive_idle || timer_kind_ == TimerKind::h2_ping ||
                   timer_kind_ == TimerKind::h2_stall)) {
        on_http2_timeout();
        return;
    }
    switch (timer_kind_) {
    case TimerKind::header_read:
        if (parser_ && parser_->in_message() && !has(CONN_F_EXCHANGE_ACTIVE)) {
            // Slowloris: a head that never completes. Say why, then close.
            head_scratch_.clear();
            write_canned_error(head_scratch_, CannedError::request_timeout, factory_.date(),
                               host_.config().server_header, false);
            output.append_copy(head_scratch_);
            timer_kind_ = TimerKind::none;
            close_after_output();
            return;
        }
        host_.teardown(*this);
        return;
    case TimerKind::ws_keepalive: on_websocket_timeout(); return;
    case TimerKind::drain_idle:
        // No request came within the grace: half-close and linger like any closing connection, so bytes that
        // arrive now are read and discarded rather than answered with a reset.
        arm_timer(TimerKind::shutdown);  // bounds output still leaving for a slow reader
        close_after_output();
        return;
    case TimerKind::ws_fail: finish_websocket_failure(); return;
    case TimerKind::h2_ping:
    case TimerKind::h2_stall: return;  // HTTP/2 only, handled above
    case TimerKind::keep_alive_idle:
    case TimerKind::lingering:
    case TimerKind::shutdown:
    case TimerKind::ws_close:  // our close frame went unanswered: on_teardown reports 1006
        timer_kind_ = TimerKind::none;
        abort_exchange();
        host_.teardown(*this);
        return;
    case TimerKind::none: return;
    }
}

void Connection::begin_drain() {
    if (has(CONN_F_TEARDOWN | CONN_F_LINGERING)) return;
    if (http2_) {
        // GOAWAY: no new streams; the open ones finish within the graceful timeout.
        http2_->begin_drain();
        arm_timer(TimerKind::shutdown);
        http2_flush();
        return;
    }
    if (has(CONN_F_WEBSOCKET)) {
        begin_websocket_drain();
        return;
    }
    // Between requests (a keep-alive response may still be on its way out, pipelined requests may wait in the
    // stash): keep reading, so a request arriving within the grace is answered, with Connection: close as
    // server_keep_alive() sees draining(), and the connection closes after that response. Closing after the
    // output instead would put a FIN under the request the client sends on reading that keep-alive response.
    if (!has(CONN_F_CLOSE_AFTER_OUTPUT | CONN_F_EXCHANGE_ACTIVE) && !(parser_ && parser_->in_message())) {
        arm_timer(TimerKind::drain_idle);
        return;
    }
    // An exchange in progress (its head, if not written yet, says Connection: close), a request head arriving,
    // or a connection already closing: bounded by the graceful timeout.
    arm_timer(TimerKind::shutdown);
}

// ---------------------------------------------------------------------------------------------
// Output

void Connection::drop_part(ResponsePart &part) noexcept { core::release_body(part.body); }

void Connection::queue_body(Body &body, std::size_t size) {
    if (auto *owned = std::get_if<std::string>(&body)) {
        if (owned->size() <= copy_body_below) output.append_copy(*owned);
        else output.append_owned(std::move(*owned));
    } else if (auto *external = std::get_if<ExternalBuffer>(&body)) {
        ExternalBuffer piece = *external;
        piece.size = size;
        if (size <= copy_body_below) {
            output.append_copy(std::string_view(piece.data, size));
            give_back(piece);
        } else {
            output.append_external(piece);
        }
    } else if (auto *file = std::get_if<FileRegion>(&body)) {
        FileRegion region = *file;
        region.length = size;
        output.append_file(region);
    }
    body = std::monostate{};
}

void Connection::send(ResponsePart &&part) {
    if (!has(CONN_F_EXCHANGE_ACTIVE) || has(CONN_F_TEARDOWN)) {
        drop_part(part);
        return;
    }
    if (part.head) {
        if (output_state_ != OutputState::awaiting_head) {
            log(LogLevel::error, "connection {}: a second response head for one request; cutting the connection",
                slot());
            drop_part(part);
            abort_exchange();
            host_.teardown(*this);
            return;
        }
        // Any answer to a WebSocket offer but accept_websocket is a denial: the client must not
        // mistake the connection for an HTTP one it may reuse (its next bytes could be frames).
        if (websocket_) set(CONN_F_CLOSE_AFTER_OUTPUT);
        head_scratch_.clear();
        framing_ = write_response_head(head_scratch_, *part.head, facts_, server_keep_alive(),
                                       part.head->has_date ? std::string_view{} : factory_.date(),
                                       part.head->has_server ? std::string_view{} : host_.config().server_header);
        output.append_copy(head_scratch_);
        if (!framing_.keep_alive) set(CONN_F_CLOSE_AFTER_OUTPUT);
        body_remaining_ = part.head->content_length;
        output_state_ = OutputState::body;
        // An answer before the body was asked for: the body is not wanted. Without the interim 100
        // the client may never send it, so the connection cannot be reused.
        if (expects_continue_ && !has(CONN_F_CONTINUE_SENT) && input_state_ == InputState::body)
            set(CONN_F_CLOSE_AFTER_OUTPUT);
    } else if (output_state_ != OutputState::body) {
        log(LogLevel::error, "connection {}: response body before its head; cutting the connection", slot());
        drop_part(part);
        abort_exchange();
        host_.teardown(*this);
        return;
    }

    std::size_t size = core::body_size(part.body);
    if (!framing_.body_allowed) {
        drop_part(part);
        size = 0;
    } else if (body_remaining_ && size > *body_remaining_) {
        log(LogLevel::error, "connection {}: response body exceeds its Content-Length; cutting the connection",
            slot());
        drop_part(part);
        abort_exchange();
        host_.teardown(*this);
        return;
    }
    if (size > 0) {
        if (body_remaining_) *body_remaining_ -= size;
        if (framing_.chunked) {
            head_scratch_.clear();
            write_chunk_prefix(head_scratch_, size);
            output.append_copy(head_scratch_);
        }
        queue_body(part.body, size);
        if (framing_.chunked) output.append_copy(chunk_suffix);
    } else {
        drop_part(part);
    }
    if (part.notify_sent && !output.notify_when_sent(id())) host_.defer_sent_notification(id());
    if (part.end) {
        if (framing_.chunked && framing_.body_allowed) {
            if (part.trailer_lines.empty()) {
                output.append_copy(last_chunk);
            } else {
                head_scratch_.clear();
                write_last_chunk(head_scratch_, part.trailer_lines);
                output.append_copy(head_scratch_);
            }
        } else if (!part.trailer_lines.empty()) {
            // Only a chunked body has a trailer section: a Content-Length, an HTTP/1.0 client or no body at all
            // leave nowhere to put them.
            log(LogLevel::debug, "connection {}: response trailers dropped: the response is not chunked", slot());
        }
        // Fewer bytes than the declared Content-Length: the client would wait for the rest.
        // Closing after the output makes the truncation visible instead of hanging.
        if (body_remaining_ && *body_remaining_ > 0 && framing_.body_allowed) {
            log(LogLevel::error, "connection {}: response ended {} bytes short of its Content-Length", slot(),
                *body_remaining_);
            set(CONN_F_CLOSE_AFTER_OUTPUT);
        }
        output_state_ = OutputState::done;
        clear(CONN_F_BODY_TO_HANDLER);
        if (input_state_ == InputState::complete || has(CONN_F_CLOSE_AFTER_OUTPUT)) {
            // Complete, or closing anyway: the rest of an unread body no longer matters.
            finish_exchange();
        } else {
            // Keep-alive: the unread rest of the body is read and discarded before the next request,
            // within the header-read timeout so a client that stops sending cannot hold the slot.
            clear(CONN_F_READ_PAUSED);
            arm_timer(TimerKind::header_read);
        }
    }
    host_.want_send(*this);
}

void Connection::finish_exchange() {
    clear(CONN_F_EXCHANGE_ACTIVE | CONN_F_BODY_TO_HANDLER | CONN_F_READ_PAUSED);
    output_state_ = OutputState::idle;
    input_state_ = InputState::head;
    parser_->next_message();
    // Past CONN_F_CLOSE_AFTER_OUTPUT the head we wrote promised keep-alive; if the drain began since, the client
    // may be sending its next request already: it gets the drain's grace, and that request a Connection: close.
    if (has(CONN_F_CLOSE_AFTER_OUTPUT) || !facts_.client_keep_alive || !host_.config().keep_alive) {
        close_after_output();
        return;
    }
    arm_timer(host_.draining() ? TimerKind::drain_idle : TimerKind::keep_alive_idle);
    if (has(CONN_F_IN_INPUT)) return;  // process_input() goes on with the next request
    resume_input();
    // After the FIN only the requests pipelined before it remain; once none is active, close.
    if (has(CONN_F_PEER_EOF)) close_at_end_of_input();
}

void Connection::close_after_output() {
    set(CONN_F_CLOSE_AFTER_OUTPUT);
    std::string().swap(stash_);
    host_.want_send(*this);  // the reactor calls on_output_drained() when nothing is left
}

void Connection::on_output_drained() {
    if (has(CONN_F_TEARDOWN | CONN_F_LINGERING)) return;
    if (http2_ && !has(CONN_F_CLOSE_AFTER_OUTPUT) && http2_output_drained()) return;
    if (has(CONN_F_EXCHANGE_ACTIVE) && output_state_ == OutputState::done && input_state_ != InputState::complete &&
        !has(CONN_F_IN_INPUT)) {
        // The response ended before its request body was read (the handler had paused it): what is
        // stashed is read and discarded now, which also reaches the requests pipelined behind it.
        resume_input();
        if (has(CONN_F_PEER_EOF)) close_at_end_of_input();
        if (has(CONN_F_TEARDOWN | CONN_F_LINGERING)) return;
    }
    if (has(CONN_F_CLOSE_AFTER_OUTPUT) && !has(CONN_F_EXCHANGE_ACTIVE)) {
        // TLS says goodbye inside the session first (close_notify), so the client can tell a
        // complete response from a truncated one; the half-close follows once that has been sent.
        if (tls_ && tls_->queue_close_notify()) {
            host_.want_send(*this);
            return;
        }
        // The client already closed its side and everything it sent was read: nothing unread can turn
        // the close into a reset, so no lingering.
        if (has(CONN_F_PEER_EOF)) {
            host_.teardown(*this);
            return;
        }
        // Half-close, then keep reading until the client closes (or a short timeout), so the
        // response is not destroyed by a reset caused by unread input.
        ::shutdown(fd(), SHUT_WR);
        set(CONN_F_LINGERING);
        arm_timer(TimerKind::lingering);
        if (!has(CONN_F_RECV_ARMED)) {
            clear(CONN_F_STOP_READING);
            host_.start_reading(*this);
        }
    }
}

void Connection::on_command(core::Command &command) {
    if (http2_) {
        http2_->on_command(command);
        http2_flush();
        return;
    }
    switch (command.kind) {
    case core::Command::Kind::response_part: send(std::move(command.part)); break;
    case core::Command::Kind::resume_body:
        if (has(CONN_F_READ_PAUSED) && !has(CONN_F_WEBSOCKET)) {
            clear(CONN_F_READ_PAUSED);
            resume_input();
        }
        break;
    case core::Command::Kind::abort: cut_exchange(); break;
    case core::Command::Kind::websocket_accept: accept_websocket(command.websocket_accept); break;
    case core::Command::Kind::websocket_outbound: post_websocket(command.websocket_outbound); break;
    case core::Command::Kind::websocket_resume:
        if (has(CONN_F_WEBSOCKET) && has(CONN_F_READ_PAUSED)) resume_websocket();
        break;
    case core::Command::Kind::stop: break;
    }
}

void Connection::fill_endpoints() {
    if (has(CONN_F_ENDPOINTS_KNOWN)) return;
    set(CONN_F_ENDPOINTS_KNOWN);
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(fd(), reinterpret_cast<sockaddr *>(&storage), &length) == 0) {
        peer_ = endpoint_of(storage);
        if (is_local_peer(storage)) set(CONN_F_LOCAL_PEER);
    }
    length = sizeof storage;
    storage = {};
    if (::getsockname(fd(), reinterpret_cast<sockaddr *>(&storage), &length) == 0) local_ = endpoint_of(storage);
}

} // namespace engine::http
