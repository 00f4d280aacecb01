#pragma once
// The engine's entry point: N reactor threads, each with its own I/O backend (io_uring, or epoll where
// io_uring is refused), listening sockets and connection table. Thread-safe methods are marked so.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/handler.hpp"

namespace engine {

/// Raised by Server::start() with a one-line, user-facing reason (io_uring refused, address in use...).
class StartupError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ReactorStats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    std::uint64_t requests = 0;
    std::uint64_t http2_connections = 0;  ///< connections that spoke HTTP/2 (by ALPN or the client preface)
    std::uint64_t http2_streams = 0;      ///< HTTP/2 requests handed to the handler (also counted in `requests`)
};

/// The handler's acceptance of a WebSocket opening handshake (see Handler).
struct WebSocketAccept {
    /// Empty: no Sec-WebSocket-Protocol. Otherwise one of the subprotocols the client offered (an
    /// HTTP token); anything else is a handler bug and is answered with 500 and a closed connection.
    std::string subprotocol;
    /// Extra header lines for the 101, each "Name: value\r\n", validated by the producer.
    std::string header_lines;
};

/// A message or a close frame for an accepted WebSocket session.
struct WebSocketOutbound {
    enum class Kind : std::uint8_t { text, binary, close };
    Kind kind = Kind::binary;
    /// text/binary: the payload (std::string or ExternalBuffer; text must be valid UTF-8).
    /// close: the reason as a std::string (cut to fit a control frame), or empty.
    Body payload;
    std::uint16_t close_code = 1000;  ///< close only
    bool notify_sent = false;         ///< call Handler::on_sent once this frame is fully sent
};

namespace core {
class Reactor;
struct ListenSocket;
} // namespace core
namespace tls {
class TlsContext;
}

class Server {
  public:
    Server(ServerConfig config, std::shared_ptr<Handler> handler);
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    /// Opens the sockets and rings and starts the reactor threads. Throws StartupError.
    void start();
    /// Single-threaded mode (`--runtime-mode st`) instead of start(): opens the sockets and sets the one
    /// reactor (config().threads must be 1) up on the calling thread, whose event loop then drives it: it
    /// watches poll_fd() and calls run_ready() when the fd is readable, when wants_run() says so after a run,
    /// and tick_ms() after the last run. The posting calls below must then come from this thread; the first
    /// one after a run calls `wake` (there), so the loop can schedule the next run. Throws StartupError.
    void start_inline(std::function<void()> wake);
    /// Inline: runs what is ready without blocking and submits the output it caused; false once stopped
    /// and drained (wait() then returns at once).
    bool run_ready();
    /// Inline: the descriptor that turns readable when run_ready() has completions to handle.
    int poll_fd() const noexcept;
    /// Inline: run_ready() has work now (posts since the last run, completions a run left).
    bool wants_run() const noexcept;
    /// Inline: milliseconds until timers need a run_ready() with no I/O happening, or -1 when none is armed.
    /// `booked`: the loop still holds the run this returned last; then only an earlier need is returned (-1
    /// otherwise), in O(1) rather than a scan of the timer wheel.
    int tick_ms(bool booked = false) noexcept;
    bool inline_mode() const noexcept { return inline_; }

    /// Thread-safe. Queues a response part; dropped (external buffer released) if the exchange is gone.
    void post(ExchangeId id, ResponsePart &&part);
    /// Thread-safe. Resumes reading a body paused by BodyFlow::pause.
    void resume_body(ExchangeId id);
    /// Thread-safe. Accepts the WebSocket opening handshake of this exchange (Request::websocket).
    void accept_websocket(ExchangeId id, WebSocketAccept &&accept);
    /// Thread-safe. Queues a message or a close frame on an accepted session; dropped (buffer
    /// released) if the session is gone or already closing.
    void post_websocket(ExchangeId id, WebSocketOutbound &&outbound);
    /// Thread-safe. Resumes reading a session paused by MessageFlow::pause.
    void resume_websocket(ExchangeId id);
    /// Thread-safe. Cuts the connection of this exchange (an app failed after its response started).
    void abort(ExchangeId id);
    /// Thread-safe, non-blocking. Stops accepting, lets in-flight exchanges finish (up to
    /// Timeouts::graceful_shutdown), closes idle connections; the threads then exit.
    void stop();
    /// Blocks until every reactor thread has exited (inline: drives the reactor until its drain ends).
    void wait();

    unsigned reactor_count() const noexcept;
    /// The TCP port actually bound (useful with port 0).
    std::uint16_t bound_port() const noexcept;
    std::vector<ReactorStats> stats() const;
    const ServerConfig &config() const noexcept { return config_; }
    /// After start(): the backend the reactors run on (never `automatic`).
    IoBackendKind io_backend() const noexcept { return io_backend_; }
    /// After start(): why `automatic` fell back to epoll; empty when it did not.
    const std::string &io_backend_fallback_reason() const noexcept { return io_backend_fallback_reason_; }

  private:
    /// What start() and start_inline() share: the reactor count, TLS, the backend choice and the listening
    /// sockets (one set per reactor).
    std::vector<std::vector<core::ListenSocket>> prepare_start(unsigned count,
                                                               std::shared_ptr<const tls::TlsContext> &tls_context);
    /// A start failed: stops the reactors that did start, closes every socket, throws StartupError(failure).
    [[noreturn]] void abandon_start(std::vector<std::vector<core::ListenSocket>> &unused, std::string failure);

    ServerConfig config_;
    std::shared_ptr<Handler> handler_;
    std::vector<std::unique_ptr<core::Reactor>> reactors_;
    std::uint16_t bound_port_ = 0;
    IoBackendKind io_backend_ = IoBackendKind::io_uring;
    std::string io_backend_fallback_reason_;
    bool started_ = false;
    bool inline_ = false;
};

} // namespace engine
