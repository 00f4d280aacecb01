#pragma once
// One HTTP/1.1 connection: recv'd bytes -> parser -> one exchange at a time -> output queue.
// The host (core::StreamHost: io_uring or epoll) owns the socket operations; this class owns the protocol state. Like h2o's
// http1.c, a request runs through an explicit output state, and finish_exchange() is the one
// reset point for keep-alive. Pipelined requests wait (stashed) until the current response is
// complete, so responses leave in order. A WebSocket opening handshake the handler accepts turns
// the connection into a WebSocket session for good (websocket_connection.cpp).

#include "core/output_queue.hpp"
#include "core/stream.hpp"
#include "core/timer_wheel.hpp"
#include "engine/config.hpp"
#include "engine/handler.hpp"
#include "engine/server.hpp"
#include "http/parser.hpp"
#include "http/response_writer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace engine::core {
struct Command;
} // namespace engine::core

namespace engine::http2 {
class Session;
} // namespace engine::http2

namespace engine::http {

class ConnectionFactory;
class TlsTransport;

/// Connection state flags: one bitset with the stream's own (STREAM_F_*, owned by the host), which keep
/// their names here under CONN_F_*.
enum ConnFlags : std::uint32_t {
    CONN_F_IN_USE = core::STREAM_F_IN_USE,
    CONN_F_RECV_ARMED = core::STREAM_F_READING,         ///< the host delivers received bytes
    CONN_F_SEND_IN_FLIGHT = core::STREAM_F_SEND_IN_FLIGHT,
    CONN_F_TEARDOWN = core::STREAM_F_TEARDOWN,          ///< socket shut down; waiting for outstanding ops to finish
    CONN_F_STOP_READING = core::STREAM_F_READ_STOPPED,  ///< the stash is full: reading is off until it drains
    CONN_F_LOCAL_PEER = core::STREAM_F_LOCAL_PEER,      ///< loopback or Unix peer (see send_zc_threshold)
    CONN_F_IS_UNIX = core::STREAM_F_IS_UNIX,
    CONN_F_CLOSE_AFTER_OUTPUT = core::STREAM_F_PROTOCOL_FIRST << 0, ///< no more requests: close once output has drained
    CONN_F_LINGERING = core::STREAM_F_PROTOCOL_FIRST << 1,   ///< write side shut; discarding input until EOF or timeout
    CONN_F_READ_PAUSED = core::STREAM_F_PROTOCOL_FIRST << 2, ///< handler asked to pause the body (BodyFlow::pause)
    CONN_F_ENDPOINTS_KNOWN = core::STREAM_F_PROTOCOL_FIRST << 3,
    CONN_F_EXCHANGE_ACTIVE = core::STREAM_F_PROTOCOL_FIRST << 4, ///< a request was dispatched, its response not complete
    CONN_F_BODY_TO_HANDLER = core::STREAM_F_PROTOCOL_FIRST << 5, ///< request body bytes go to the handler (else discarded)
    CONN_F_CONTINUE_SENT = core::STREAM_F_PROTOCOL_FIRST << 6,   ///< the interim 100 Continue went out
    CONN_F_IN_INPUT = core::STREAM_F_PROTOCOL_FIRST << 7,        ///< inside process_input (guards re-entry)
    CONN_F_WEBSOCKET = core::STREAM_F_PROTOCOL_FIRST << 8, ///< the 101 was written: bytes are WebSocket frames from now on
    CONN_F_WS_LIVE = core::STREAM_F_PROTOCOL_FIRST << 9,   ///< a session whose end (Handler::on_ws_close) is not reported yet
    CONN_F_PEER_EOF = core::STREAM_F_PROTOCOL_FIRST << 10, ///< the client shut its write side: answer what it sent, then close
    CONN_F_WS_FAILING = core::STREAM_F_PROTOCOL_FIRST << 11, ///< a protocol violation's close frame waits for the handler's answers
    CONN_F_HTTP1 = core::STREAM_F_PROTOCOL_FIRST << 12,  ///< the connection speaks HTTP/1 (chosen on its first bytes)
    CONN_F_HTTP2 = core::STREAM_F_PROTOCOL_FIRST << 13,  ///< the connection speaks HTTP/2 (http2_ is set)
};

enum class OutputState : std::uint8_t { idle, awaiting_head, body, done };
enum class InputState : std::uint8_t { head, body, complete };
enum class TimerKind : std::uint8_t {
    none,
    header_read,
    keep_alive_idle,
    lingering,
    shutdown,
    drain_idle,    ///< draining: an idle keep-alive connection's last chance to send a request (drain_idle_grace)
    ws_keepalive,  ///< the session's next ping or ping timeout check
    ws_close,      ///< our close frame went out: the peer's must arrive before this fires
    ws_fail,       ///< a protocol violation's close frame goes out when this fires, if the handler is slow
    h2_ping,       ///< HTTP/2 keep-alive: the next PING, or its ACK's deadline
    h2_stall,      ///< HTTP/2: the client reads nothing (full output, or zero windows) until this fires
};

struct WebSocketState;

/// Bodies up to this size are copied next to their head (or frame header): the bytes then leave in
/// one plain send instead of a sendmsg with an iovec per piece, which costs more than copying a few KiB.
inline constexpr std::size_t copy_body_below = 4096;

class Connection final : public core::Stream, public Exchange, private BodySink {
  public:
    Connection(core::StreamHost &host, ConnectionFactory &factory, std::uint32_t slot);
    ~Connection() override;

    // Events from the host (core::Stream).
    void on_open() override;
    void release() override;
    /// Received bytes: ciphertext on a TLS connection (decrypted into on_plaintext), else plaintext.
    void on_data(std::string_view data) override;
    void on_plaintext(std::string_view data);
    /// End of input (the client's FIN): the requests already received are still answered, then the
    /// connection closes. Only a request cut short is aborted.
    void on_peer_closed() override;
    /// Reading failed (reset): the client is gone, everything in progress is aborted.
    void on_read_error() override;
    void on_command(core::Command &command) override;
    void on_timeout() override;
    /// The output queue made progress (or is empty): continue closing, resume pipelined input.
    void on_output_drained() override;
    /// The server is stopping: the current exchange finishes and its response says Connection: close; an idle
    /// connection keeps reading for a short grace (drain_idle_grace) and answers a request arriving then the
    /// same way, so a client that reused it just before the drain gets a response, not a closed socket.
    void begin_drain() override;
    /// A send or sendfile failed (client gone): abort the exchange and tear down.
    void on_send_error() override;
    /// The connection is being torn down: reports the end of whatever is still live (on_abort for an
    /// exchange, on_ws_close with 1006 for a session).
    void on_teardown() override;
    /// TLS: encrypts queued plaintext into the ciphertext queue, one bounded step at a time.
    std::error_code prepare_output(std::vector<ExchangeId> &sent) override;
    /// What goes on the socket: `output` itself on a plain connection, its ciphertext on a TLS one.
    core::OutputQueue &socket_output() noexcept override { return *socket_output_; }
    bool matches(const ExchangeId &id) const noexcept override {
        if (has(CONN_F_HTTP2)) return http2_matches(id);
        return has(CONN_F_EXCHANGE_ACTIVE | CONN_F_WS_LIVE | CONN_F_WS_FAILING) && id.generation == exchange_generation_;
    }
    /// Ends the dispatched exchange without a complete response (Handler::on_abort). Idempotent.
    void abort_exchange();

    // Exchange (valid while a request is dispatched).
    ExchangeId id() const noexcept override;
    const Request &request() const noexcept override { return parser_->request(); }
    std::unique_ptr<Request> take_request() noexcept override { return parser_->take_request(); }
    void send(ResponsePart &&part) override;

    /// The TLS half of the transport; null on a plain connection.
    TlsTransport *tls() const noexcept { return tls_.get(); }

    /// The plaintext the protocol writes.
    core::OutputQueue output;

  private:
    void on_body_data(std::string_view data) override;
    void process_input(std::string_view data);
    void resume_input();
    void stash(std::string_view data);
    void dispatch();
    void on_message_complete();
    void finish_exchange();
    /// After the client's FIN, once no complete request is left to answer: close (or cut a partial one).
    void close_at_end_of_input();
    /// The handler gave up on a response it started: what it queued still leaves, then the connection
    /// closes without the body's end, so the client can see the response is incomplete.
    void cut_exchange();
    void fail_request(ParseError error);
    void close_after_output();
    void arm_timer(TimerKind kind);
    void fill_endpoints();
    void drop_part(ResponsePart &part) noexcept;
    void queue_body(Body &body, std::size_t size);
    bool server_keep_alive() const noexcept;

    // WebSockets (websocket_connection.cpp).
    /// At head-complete: checks an upgrade request. False when it was refused (400/426 queued,
    /// closing); true to dispatch it (Request::websocket set for a valid opening handshake).
    bool check_websocket_offer(Request &request);
    void accept_websocket(WebSocketAccept &accept);
    void post_websocket(WebSocketOutbound &outbound);
    void resume_websocket();
    /// Feeds received bytes to the session. `input` is unmasked in place.
    void websocket_input(std::span<char> input);
    /// Moves frames the session produced (pongs, close replies, pings) into the output queue.
    void flush_websocket_output();
    /// After the session produced a closed event or was cut: Handler::on_ws_close once.
    void report_websocket_close(std::uint16_t code, std::string_view reason);
    /// Arms the keepalive timer when the session needs one (and no close timer runs).
    void arm_websocket_timer();
    void on_websocket_timeout();
    void on_websocket_peer_closed();
    void begin_websocket_drain();
    /// After a protocol violation, once the handler answered (or ws_fail fired): the close frame.
    void finish_websocket_failure();
    /// After our close frame: reads on even if the handler paused, to reach the peer's reply.
    void read_to_close_reply();

    // HTTP/2 (http2_connection.cpp).
    /// The first bytes of a connection (or of its TLS plaintext): ALPN, --http or the client preface choose
    /// HTTP/1 or HTTP/2; `data` then goes to the chosen protocol.
    void choose_protocol(std::string_view data);
    void start_http2();
    void http2_input(std::string_view data);
    /// After anything that may give the session frames to send: queues them, closes a finished session, applies
    /// back-pressure on reading and keeps the idle timer.
    void http2_flush();
    /// on_output_drained for an HTTP/2 connection not yet closing; true when the connection is still open.
    bool http2_output_drained();
    /// Picks the HTTP/2 connection's timer: stall, keep-alive PING, idle, or none (drain and lingering keep theirs).
    /// `progressed`: response body bytes were framed since the last call.
    void http2_timers(bool progressed);
    void on_http2_timeout();
    bool http2_matches(const ExchangeId &id) const noexcept;
    bool http2_ping_pending() const noexcept;

    ConnectionFactory &factory_;

    std::optional<RequestParser> parser_;
    std::unique_ptr<TlsTransport> tls_;
    core::OutputQueue *socket_output_ = &output;
    std::string stash_;           ///< received bytes waiting for the current exchange to finish
    std::string head_scratch_;    ///< reused for serializing heads
    /// An opening handshake waiting for the handler's answer, then the session (upgraded only).
    std::unique_ptr<WebSocketState> websocket_;
    /// The HTTP/2 session, when the connection speaks HTTP/2.
    std::unique_ptr<http2::Session> http2_;

    std::uint32_t exchange_generation_ = 0;
    OutputState output_state_ = OutputState::idle;
    InputState input_state_ = InputState::head;
    TimerKind timer_kind_ = TimerKind::none;
    RequestFacts facts_;
    ResponseFraming framing_{};
    std::optional<std::uint64_t> body_remaining_;  ///< declared Content-Length left to send
    bool request_has_body_ = false;
    bool expects_continue_ = false;

    Endpoint peer_;
    Endpoint local_;
};

} // namespace engine::http
