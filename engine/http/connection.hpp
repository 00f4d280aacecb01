#pragma once
// One HTTP/1.1 connection: recv'd bytes -> parser -> one exchange at a time -> output queue.
// The reactor owns the socket operations; this class owns the protocol state. Like h2o's
// http1.c, a request runs through an explicit output state, and finish_exchange() is the one
// reset point for keep-alive. Pipelined requests wait (stashed) until the current response is
// complete, so responses leave in order. A WebSocket opening handshake the handler accepts turns
// the connection into a WebSocket session for good (websocket_connection.cpp).

#include "core/output_queue.hpp"
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
class Reactor;
struct Command;
} // namespace engine::core

namespace engine::http {

class TlsTransport;

/// Connection state flags (one bitset, CONN_F_*).
enum ConnFlags : std::uint32_t {
    CONN_F_IN_USE = 1u << 0,
    CONN_F_RECV_ARMED = 1u << 1,       ///< a multishot recv is outstanding
    CONN_F_SEND_IN_FLIGHT = 1u << 2,   ///< a send or splice chain is outstanding
    CONN_F_CLOSE_AFTER_OUTPUT = 1u << 3, ///< no more requests: close once output has drained
    CONN_F_LINGERING = 1u << 4,        ///< write side shut; discarding input until EOF or timeout
    CONN_F_TEARDOWN = 1u << 5,         ///< socket shut down; waiting for outstanding ops to finish
    CONN_F_READ_PAUSED = 1u << 6,      ///< handler asked to pause the body (BodyFlow::pause)
    CONN_F_DIRTY = 1u << 7,            ///< queued on the reactor's send list
    CONN_F_IS_UNIX = 1u << 8,
    CONN_F_ENDPOINTS_KNOWN = 1u << 9,
    CONN_F_EXCHANGE_ACTIVE = 1u << 10, ///< a request was dispatched and its response is not complete
    CONN_F_BODY_TO_HANDLER = 1u << 11, ///< request body bytes go to the handler (else discarded)
    CONN_F_CONTINUE_SENT = 1u << 12,   ///< the interim 100 Continue went out
    CONN_F_STOP_READING = 1u << 13,    ///< the stash is full: recv is cancelled until it drains
    CONN_F_IN_INPUT = 1u << 14,        ///< inside process_input (guards re-entry)
    CONN_F_LOCAL_PEER = 1u << 15,      ///< loopback or Unix peer: zero-copy sends only cost (see send_zc_threshold)
    CONN_F_WEBSOCKET = 1u << 16,       ///< the 101 was written: bytes are WebSocket frames from now on
    CONN_F_WS_LIVE = 1u << 17,         ///< a session whose end (Handler::on_ws_close) is not reported yet
    CONN_F_PEER_EOF = 1u << 18,        ///< the client shut its write side: answer what it sent, then close
};

enum class OutputState : std::uint8_t { idle, awaiting_head, body, done };
enum class InputState : std::uint8_t { head, body, complete };
enum class TimerKind : std::uint8_t {
    none,
    header_read,
    keep_alive_idle,
    lingering,
    shutdown,
    ws_keepalive,  ///< the session's next ping or ping timeout check
    ws_close,      ///< our close frame went out: the peer's must arrive before this fires
};

struct WebSocketState;

/// Bodies up to this size are copied next to their head (or frame header): the bytes then leave in
/// one plain send instead of a sendmsg with an iovec per piece, which costs more than copying a few KiB.
inline constexpr std::size_t copy_body_below = 4096;

class Connection final : public Exchange, private BodySink {
  public:
    Connection(core::Reactor &reactor, std::uint32_t slot);
    ~Connection() override;

    /// Takes a freshly accepted socket.
    void open(int fd, std::uint32_t generation, bool is_unix);
    /// Releases everything once no operation is outstanding (the reactor then frees the slot).
    void release();

    // Events from the reactor.
    /// Received bytes: ciphertext on a TLS connection (decrypted into on_plaintext), else plaintext.
    void on_data(std::string_view data);
    void on_plaintext(std::string_view data);
    /// End of input (the client's FIN): the requests already received are still answered, then the
    /// connection closes. Only a request cut short is aborted.
    void on_peer_closed();
    /// Reading failed (reset): the client is gone, everything in progress is aborted.
    void on_read_error();
    void on_command(core::Command &command);
    void on_timeout();
    /// The output queue made progress (or is empty): continue closing, resume pipelined input.
    void on_output_drained();
    /// The server is stopping: close if idle, otherwise finish the current exchange and close.
    void begin_drain();
    /// A send or splice failed (client gone): abort the exchange and tear down.
    void on_send_error();
    /// Ends the dispatched exchange without a complete response (Handler::on_abort). Idempotent.
    void abort_exchange();
    /// The connection is being torn down: reports the end of whatever is still live (on_abort for an
    /// exchange, on_ws_close with 1006 for a session).
    void on_teardown();

    // Exchange (valid while a request is dispatched).
    ExchangeId id() const noexcept override;
    const Request &request() const noexcept override { return parser_->request(); }
    std::unique_ptr<Request> take_request() noexcept override { return parser_->take_request(); }
    void send(ResponsePart &&part) override;

    bool has(std::uint32_t flag) const noexcept { return (flags_ & flag) != 0; }
    void set(std::uint32_t flag) noexcept { flags_ |= flag; }
    void clear(std::uint32_t flag) noexcept { flags_ &= ~flag; }
    bool matches(const ExchangeId &id) const noexcept {
        return has(CONN_F_EXCHANGE_ACTIVE | CONN_F_WS_LIVE) && id.generation == exchange_generation_;
    }

    int fd() const noexcept { return fd_; }
    /// The TLS half of the transport; null on a plain connection.
    TlsTransport *tls() const noexcept { return tls_.get(); }
    /// What goes on the socket: `output` itself on a plain connection, its ciphertext on a TLS one.
    core::OutputQueue &socket_output() noexcept { return *socket_output_; }
    std::uint32_t slot() const noexcept { return slot_; }
    std::uint32_t generation() const noexcept { return generation_; }

    // Socket-operation bookkeeping, used by the reactor only.
    core::OutputQueue output;
    core::TimerNode timer;
    unsigned pending_ops = 0;      ///< SQEs whose final completion has not arrived
    unsigned zero_copy_notifications = 0;  ///< zero-copy sends awaiting their notification
    msghdr message{};
    iovec vectors[16]{};

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
    /// After our close frame: reads on even if the handler paused, to reach the peer's reply.
    void read_to_close_reply();

    core::Reactor &reactor_;
    const std::uint32_t slot_;
    std::uint32_t generation_ = 0;
    std::uint32_t flags_ = 0;
    int fd_ = -1;

    std::optional<RequestParser> parser_;
    std::unique_ptr<TlsTransport> tls_;
    core::OutputQueue *socket_output_ = &output;
    std::string stash_;           ///< received bytes waiting for the current exchange to finish
    std::string head_scratch_;    ///< reused for serializing heads
    /// An opening handshake waiting for the handler's answer, then the session (upgraded only).
    std::unique_ptr<WebSocketState> websocket_;

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
