// The HTTP/2 half of Connection: choosing the protocol on a connection's first bytes, and driving its
// http2::Session over the same transport (plain or TLS, either I/O backend) as HTTP/1. The session makes the
// frames; this file feeds it bytes, moves its frames to the socket only when it produced some, and closes the
// connection once neither side wants more (nghttp2_session_want_read/want_write both false).

#include "http/connection.hpp"

#include "http/connection_factory.hpp"
#include "http/tls_transport.hpp"
#include "http2/preface.hpp"
#include "http2/session.hpp"
#include "engine/log.hpp"

namespace engine::http {

namespace {

std::string_view date_of(void *factory) noexcept { return static_cast<ConnectionFactory *>(factory)->date(); }

} // namespace

void Connection::choose_protocol(std::string_view data) {
    const HttpVersion wanted = host_.config().http;
    bool http2 = false;
    std::string first_bytes;
    if (tls_) {
        // ALPN chose (RFC 9113 3.2); with --http 2 a client that offered no ALPN is taken for HTTP/2 as well.
        http2 = wanted == HttpVersion::http2 || tls_->info()->alpn == "h2";
    } else if (wanted != HttpVersion::automatic) {
        http2 = wanted == HttpVersion::http2;
    } else {
        if (!stash_.empty()) {
            // A few bytes of a possible preface came before: decide on all of them.
            first_bytes = std::move(stash_);
            stash_.clear();
            first_bytes.append(data);
            data = first_bytes;
        }
        switch (http2::match_client_preface(data)) {
        case http2::PrefaceMatch::need_more: stash_.assign(data); return;
        case http2::PrefaceMatch::http2: http2 = true; break;
        case http2::PrefaceMatch::http1: break;
        }
    }
    if (http2) start_http2();
    else set(CONN_F_HTTP1);
    on_plaintext(data);
}

void Connection::start_http2() {
    fill_endpoints();
    http2::ConnectionFacts facts{peer_, local_, tls_ != nullptr, tls_ ? tls_->info() : nullptr};
    http2_ = std::make_unique<http2::Session>(host_, output, slot(), std::move(facts), date_of, &factory_);
    set(CONN_F_HTTP2);
    host_.count_http2_connection();
}

bool Connection::http2_matches(const ExchangeId &id) const noexcept { return http2_->matches(id); }

void Connection::http2_input(std::string_view data) {
    if (has(CONN_F_CLOSE_AFTER_OUTPUT)) return;  // closing: nothing more is read
    http2_->receive(data);  // a failure leaves the session finished(): http2_flush closes
    http2_flush();
}

void Connection::http2_flush() {
    if (has(CONN_F_TEARDOWN | CONN_F_CLOSE_AFTER_OUTPUT)) return;
    // A send is asked for only when frames were produced: an idle session costs no wake-ups.
    const bool produced = http2_->produce_output();
    if (produced) host_.want_send(*this);
    const bool done_after_eof = has(CONN_F_PEER_EOF) && http2_->open_streams() == 0;
    if (http2_->finished() || done_after_eof) {
        // GOAWAY (ours, the peer's, or a fatal error's) went into the output: it leaves, then the connection closes.
        // The graceful timeout bounds how long a client may take to read what is left.
        if (timer_kind_ != TimerKind::shutdown) arm_timer(TimerKind::shutdown);
        close_after_output();
        return;
    }
    // A client that sends without reading fills our output with answers: stop reading until it drains.
    if (http2_->output_full() && !has(CONN_F_STOP_READING)) {
        set(CONN_F_STOP_READING);
        host_.stop_reading(*this);
    }
    // Only response bytes count as progress against the stall timer: a client that keeps its windows shut
    // but sends PINGs makes us produce ACKs, not progress.
    http2_timers(http2_->take_body_progress());
}

bool Connection::http2_ping_pending() const noexcept { return http2_ && http2_->ping_pending(); }

void Connection::http2_timers(bool progressed) {
    switch (timer_kind_) {
    case TimerKind::none:
    case TimerKind::header_read:
    case TimerKind::keep_alive_idle:
    case TimerKind::h2_ping:
    case TimerKind::h2_stall: break;
    default: return;  // draining or closing: that timer bounds what is left
    }
    TimerKind wanted = TimerKind::none;
    if (http2_->stalled()) wanted = TimerKind::h2_stall;
    else if (http2_->open_streams() == 0) wanted = TimerKind::keep_alive_idle;
    else if (host_.config().http2.keep_alive_interval.count() > 0) wanted = TimerKind::h2_ping;
    // A running timer keeps its deadline, except that a stall is measured from the last bytes that left (a slow
    // reader that makes progress is no stall), and a PING's deadline ends with its ACK: the next one is due an
    // interval from then.
    const bool restart = (wanted == TimerKind::h2_stall && progressed) ||
                         (wanted == TimerKind::h2_ping && http2_->take_ping_answered());
    if (wanted != timer_kind_ || restart) arm_timer(wanted);
}

void Connection::on_http2_timeout() {
    const TimerKind fired = timer_kind_;
    timer_kind_ = TimerKind::none;
    switch (fired) {
    case TimerKind::keep_alive_idle:
        // An idle connection says goodbye with GOAWAY (NO_ERROR) and closes once it has left.
        http2_->close_idle();
        break;
    case TimerKind::h2_ping:
        if (http2_->ping_pending()) {
            log(LogLevel::debug, "connection {}: HTTP/2 keep-alive PING unanswered; closing", slot());
            http2_->abort_streams();
            host_.teardown(*this);
            return;
        }
        http2_->send_ping();
        break;
    default:
        // The client read nothing for the keep-alive timeout: its streams are cut; the GOAWAY may never be
        // read either, so the lingering timer bounds the close.
        log(LogLevel::debug, "connection {}: HTTP/2 client stopped reading; closing", slot());
        http2_->abort_streams();
        http2_->close_stalled();
        http2_flush();
        if (!has(CONN_F_TEARDOWN)) arm_timer(TimerKind::lingering);
        return;
    }
    http2_flush();  // re-arms: the PING's deadline, or what the connection needs now
}

bool Connection::http2_output_drained() {
    if (has(CONN_F_STOP_READING) && !has(CONN_F_PEER_EOF)) {
        clear(CONN_F_STOP_READING);
        host_.start_reading(*this);
    }
    http2_flush();
    return !has(CONN_F_CLOSE_AFTER_OUTPUT);
}

} // namespace engine::http
