#pragma once
// Immutable server settings, passed by value into the Server and from there to every reactor.
// Defaults are what a production deployment gets without flags.

#include "engine/tls.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// Request-size limits; each maps to one canned error response (414, 431, 413).
struct Limits {
    std::size_t max_request_line = 8 * 1024;      ///< method + target + version, bytes (414)
    std::size_t max_header_bytes = 16 * 1024;     ///< whole header section, bytes (431)
    std::size_t max_header_count = 100;           ///< number of header fields (431)
    std::uint64_t max_body_bytes = 1ull << 30;    ///< request body, bytes; 0 = unlimited (413)
};

/// Timeouts, enforced by each reactor's timer wheel (no kernel timeout per connection).
struct Timeouts {
    std::chrono::milliseconds header_read{30'000};     ///< first byte .. end of head (slowloris); as config.py
    std::chrono::milliseconds keep_alive_idle{5'000};  ///< idle between keep-alive requests
    std::chrono::milliseconds graceful_shutdown{30'000};  ///< drain limit on stop()
};

/// Where to listen. TCP (host/port), a Unix socket path, or inherited descriptors.
struct ListenConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;
    std::string uds_path;             ///< non-empty: listen on this Unix socket instead of TCP
    unsigned uds_permissions = 0;     ///< chmod for the socket file; 0 = leave the umask's choice
    std::vector<int> inherited_fds;   ///< already-listening sockets (--fd, LISTEN_FDS); used as-is
    int backlog = 1024;
    /// TCP: before binding, fail ("address ... is already in use") when any socket listens on the port, since
    /// SO_REUSEPORT would otherwise let us share it with a stranger. Off only where the caller checked already
    /// and our own processes may be listening there: the workers of a supervisor (see ensure_port_free).
    bool check_port_free = true;
};

/// WebSocket sessions (RFC 6455), reached through an HTTP/1.1 upgrade.
struct WebSocketConfig {
    bool enabled = true;  ///< false: upgrade requests are ordinary HTTP requests (--no-ws)
    std::uint64_t max_message_bytes = 16 * 1024 * 1024;  ///< larger messages close with 1009
    std::chrono::milliseconds ping_interval{20'000};  ///< ping a peer quiet this long; 0: never; as config.py
    std::chrono::milliseconds ping_timeout{20'000};  ///< close (1011) when a ping goes unanswered this long
    std::chrono::milliseconds close_timeout{5'000};  ///< after our close frame, wait this long for the peer's
    /// permessage-deflate (RFC 7692), which every browser offers: negotiated when the client offers it.
    bool per_message_deflate = true;
    std::uint32_t deflate_min_bytes = 128;  ///< shorter messages are sent uncompressed
    // The defaults come from measuring idle compressed sessions (perf/results/2026-12-02-ws-deflate.md, server
    // RSS per session after 8 x 16 KiB messages): with context takeover at 15 window bits our compressor stays
    // for the life of the session, ~230 KiB more than without. So our compressor is fresh per message
    // (server_no_context_takeover: an idle session holds none) and both windows are 12 bits: the client's
    // window is our decompressor's, which does stay; 12 bits roughly halved what a session costs over 15
    // (28.6 vs 57.0 KiB), and a window of 4 KiB loses little on single messages.
    std::uint8_t deflate_server_max_window_bits = 12;  ///< 9..15 (zlib has no raw 8-bit window)
    bool deflate_server_no_context_takeover = true;
    std::uint8_t deflate_client_max_window_bits = 12;  ///< 8..15; asked only when the client offers the parameter
    bool deflate_client_no_context_takeover = false;
};

/// Which HTTP versions the listeners speak (--http). `automatic`: on TLS, ALPN offers h2 then http/1.1; on plain
/// TCP a connection whose first bytes are the HTTP/2 client preface (prior knowledge, RFC 9113 3.3) speaks h2c,
/// any other HTTP/1. `http1` never speaks HTTP/2; `http2` speaks nothing else.
enum class HttpVersion : std::uint8_t { automatic, http1, http2 };

/// "auto", "1", "2": the values of --http.
constexpr std::optional<HttpVersion> parse_http_version(std::string_view name) noexcept {
    if (name == "auto") return HttpVersion::automatic;
    if (name == "1") return HttpVersion::http1;
    if (name == "2") return HttpVersion::http2;
    return std::nullopt;
}

/// HTTP/2 settings, Granian's names and defaults (its HTTP2Settings), as --http2-* options.
struct Http2Config {
    /// Grow the receive windows past the initial ones (never shrink them) from a bandwidth-delay estimate: the
    /// DATA bytes that arrive in one PING round trip, up to max_adaptive_window. Off: the windows stay as set.
    bool adaptive_window = false;
    static constexpr std::uint32_t max_adaptive_window = 16 * 1024 * 1024;
    std::uint32_t initial_connection_window_size = 1024 * 1024;  ///< bytes the client may send on the connection
    std::uint32_t initial_stream_window_size = 1024 * 1024;      ///< ... and on one stream before we consume them
    std::chrono::milliseconds keep_alive_interval{0};  ///< PING a connection with open streams this often; 0: never
    /// Close when a PING goes unanswered this long, or when the client reads nothing of our output for this long.
    std::chrono::milliseconds keep_alive_timeout{20'000};
    std::uint32_t max_concurrent_streams = 200;       ///< SETTINGS_MAX_CONCURRENT_STREAMS
    std::uint32_t max_frame_size = 16 * 1024;         ///< SETTINGS_MAX_FRAME_SIZE we accept
    std::uint32_t max_headers_size = 16 * 1024 * 1024;  ///< SETTINGS_MAX_HEADER_LIST_SIZE we advertise
    /// Response bytes serialised into frames ahead of the socket per connection; more wait in their streams.
    std::uint32_t max_send_buffer_size = 400 * 1024;
};

/// Which I/O backend the reactors run on. `automatic` probes io_uring once at start-up (the set-up the
/// engine really uses) and falls back to epoll when it is refused (seccomp in containers, the
/// kernel.io_uring_disabled sysctl, a missing feature), saying why in one log line.
enum class IoBackendKind : std::uint8_t { automatic, io_uring, epoll };

/// "auto", "io_uring", "epoll": the names of --io-backend and URING_GRANIAN_IO_BACKEND.
constexpr std::string_view io_backend_name(IoBackendKind kind) noexcept {
    return kind == IoBackendKind::io_uring ? "io_uring" : kind == IoBackendKind::epoll ? "epoll" : "auto";
}
constexpr std::optional<IoBackendKind> parse_io_backend(std::string_view name) noexcept {
    if (name == "auto") return IoBackendKind::automatic;
    if (name == "io_uring") return IoBackendKind::io_uring;
    if (name == "epoll") return IoBackendKind::epoll;
    return std::nullopt;
}

struct ServerConfig {
    ListenConfig listen;
    IoBackendKind io_backend = IoBackendKind::automatic;
    unsigned threads = 0;              ///< reactors; 0 = one per online CPU
    bool pin_threads = false;          ///< pin reactor i to CPU (i mod ncpu)
    unsigned max_connections = 16384;  ///< per reactor; accepted sockets above this are closed
    bool keep_alive = true;            ///< HTTP/1.1 keep-alive (false: Connection: close on every response)
    Limits limits;
    Timeouts timeouts;
    WebSocketConfig websocket;
    HttpVersion http = HttpVersion::automatic;
    Http2Config http2;

    unsigned ring_entries = 2048;          ///< SQ size; the CQ is 4x this
    unsigned recv_buffer_count = 1024;     ///< provided buffers per reactor (power of two)
    unsigned recv_buffer_size = 16 * 1024; ///< bytes per provided buffer
    unsigned send_buffer_count = 256;      ///< registered send buffers per reactor
    unsigned send_buffer_size = 64 * 1024; ///< bytes per registered send buffer
    /// Bodies at least this large go out with IORING_OP_SEND_ZC; below it a copying send is cheaper.
    /// Measured in perf/results/send_zc_threshold.md.
    std::size_t send_zc_threshold = 64 * 1024;
    /// Loopback and Unix peers get copying sends: the kernel copies for them anyway (measured there).
    /// Benchmarks of the zero-copy path itself turn this on.
    bool send_zc_to_local_peers = false;
    std::string server_header = "uring_granian";  ///< empty: no Server header
    /// Set: every listener speaks HTTPS with these files and settings (checked by Server::start()).
    std::optional<TlsOptions> tls;
};

} // namespace engine
