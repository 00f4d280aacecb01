// The HTTP/2 half of Connection: choosing the protocol on a connection's first bytes, and driving its
// http2::Session over the same transport (plain or TLS, either I/O backend) as HTTP/1. The session makes the
// frames; this file feeds it bytes, moves its frames to the socket only when it produced some, and closes the
// connection once neither side wants more (nghttp2_session_want_read/want_write both false).

#include "http/connection.hpp"

#include "http/connection_factory.hpp"
#include "http/tls_transport.hpp"
#include "http2/preface.hpp"
#include "http2/session.hpp"

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
    if (http2_->produce_output()) host_.want_send(*this);
    const bool done_after_eof = has(CONN_F_PEER_EOF) && http2_->open_streams() == 0;
    if (http2_->finished() || done_after_eof) {
        // GOAWAY (ours, the peer's, or a fatal error's) went into the output: it leaves, then the connection closes.
        timer_kind_ = TimerKind::none;
        close_after_output();
        return;
    }
    // A client that sends without reading fills our output with answers: stop reading until it drains.
    if (http2_->output_full() && !has(CONN_F_STOP_READING)) {
        set(CONN_F_STOP_READING);
        host_.stop_reading(*this);
    }
    // The keep-alive timer runs while no stream is open (the first one starts once the preface is in).
    if (timer_kind_ == TimerKind::none || timer_kind_ == TimerKind::keep_alive_idle ||
        timer_kind_ == TimerKind::header_read) {
        if (http2_->open_streams() == 0) {
            if (timer_kind_ != TimerKind::keep_alive_idle) arm_timer(TimerKind::keep_alive_idle);
        } else if (timer_kind_ != TimerKind::none) {
            arm_timer(TimerKind::none);
        }
    }
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
