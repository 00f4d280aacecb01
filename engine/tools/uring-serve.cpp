// uring-serve: the engine on its own. Answers "Hello, World!", echoes request bodies (--echo), or
// serves a directory (--root) zero-copy; --static-path-route/--static-path-mount serve directories under
// routes in front of the other answers; with --ws-echo it also accepts WebSocket upgrades and echoes
// every message. Stopped gracefully by SIGINT/SIGTERM.

#include "engine/ascii.hpp"
#include "engine/log.hpp"
#include "engine/server.hpp"
#include "files/static_route_handler.hpp"
#include "tls/tls_options.hpp"
#include "ws/handshake.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::string_view usage = R"(usage: uring-serve [options]

  --host HOST                 address to bind (default 127.0.0.1; "::" for IPv6)
  --port PORT                 TCP port (default 8000; 0 picks a free one)
  --threads N                 reactor threads (default: one per CPU)
  --uds PATH                  listen on a Unix domain socket instead of TCP
  --root DIR                  serve files from DIR (zero-copy) at every path, index.html for a directory;
                              default answers "Hello, World!"
  --static-path-mount DIR     serve the files of DIR under the --static-path-route given in the same position
                              (repeatable; one mount alone defaults to /static); other paths get the usual answer
  --static-path-route ROUTE   the route of the --static-path-mount in the same position (repeatable; the
                              longest route that matches a request wins, on a segment boundary)
  --static-path-dir-to-file NAME
                              serve NAME of a requested directory under a --static-path-route (default: 404)
  --echo                      answer each request with its own body
  --body-size BYTES           answer with a body of BYTES bytes instead of "Hello, World!" (benchmarks)
  --trailer "NAME: VALUE"     end each answer with this trailer field (repeatable); such answers have no
                              Content-Length: chunked with a trailer section on HTTP/1.1, a trailing HEADERS
                              frame on HTTP/2
  --send-zc-threshold BYTES   bodies at least this large use zero-copy sends (default 65536)
  --io-backend NAME           auto, io_uring or epoll (default: $URING_GRANIAN_IO_BACKEND, else auto:
                              io_uring, or epoll where io_uring is refused)
  --pin                       pin reactor i to CPU i
  --backlog N                 listen backlog (default 1024)
  --header-read-timeout S     seconds to receive a request head (default 30)
  --keep-alive-timeout S      idle seconds between keep-alive requests (default 5)
  --graceful-timeout S        seconds in-flight requests get on shutdown (default 30)
  --max-body-size BYTES       request body limit, 413 above it (default 1 GiB)
  --max-header-size BYTES     header section limit, 431 above it (default 16384)
  --max-headers N             header count limit, 431 above it (default 100)
  --max-request-line BYTES    request line limit, 414 above it (default 8192)
  --max-connections N         connections per reactor (default 16384)
  --ws-echo                   accept WebSocket upgrades (with the first subprotocol offered) and echo each
                              message (plain requests as usual); the text message "close CODE REASON" (CODE: 4 digits)
                              closes the session with CODE instead
  --no-ws                     no WebSockets: upgrade requests are ordinary requests
  --ws-max-size BYTES         largest WebSocket message, closed with 1009 above it (default 16 MiB)
  --ws-per-message-deflate    negotiate permessage-deflate when the client offers it (the default)
  --no-ws-per-message-deflate never compress WebSocket messages
  --ws-deflate-window-bits N  the largest deflate window, ours and the one asked of the client (9..15;
                              default 12)
  --ws-deflate-context-takeover
                              keep our compressor between messages (a better ratio for 256 KiB per
                              session at 15 bits; default: a fresh one per message, none kept while idle)
  --ws-deflate-no-context-takeover
                              no context takeover either way (the client is asked too)
  --ws-ping-interval S        ping a WebSocket peer quiet this long, e.g. 0.5 (default 20; 0: never)
  --ws-ping-timeout S         close with 1011 when a ping goes unanswered this long (default 20)
  --http VERSION              auto, 1 or 2 (default auto: HTTP/2 by ALPN on TLS and by its client preface on
                              plain TCP, HTTP/1 otherwise)
  --http2-adaptive-window     grow the receive windows from a bandwidth-delay estimate (PING round trips), up to
                              16 MiB (default: off, the windows stay as set)
  --http2-initial-connection-window-size BYTES
                              request body bytes a client may send on a connection ahead of us (default 1 MiB)
  --http2-initial-stream-window-size BYTES
                              ... and on one stream before the application consumed them (default 1 MiB)
  --http2-keep-alive-interval MS
                              PING a connection with open streams this often (default: never)
  --http2-keep-alive-timeout S
                              close when a PING goes unanswered, or the client reads nothing, this long (default 20)
  --http2-max-concurrent-streams N
                              streams a client may have open at once (default 200)
  --http2-max-frame-size BYTES
                              largest frame payload we accept (16384..16777215, default 16384)
  --http2-max-headers-size BYTES
                              the header list size we advertise (default 16 MiB; --max-header-size still applies)
  --http2-max-send-buffer-size BYTES
                              response bytes framed ahead of the socket per connection (default 409600)
  --ssl-certificate FILE      serve HTTPS with this PEM certificate chain (needs --ssl-keyfile)
  --ssl-keyfile FILE          PEM private key of the certificate
  --ssl-keyfile-password PW   password of an encrypted key
  --ssl-protocol-min VERSION  tls1.2 or tls1.3 (default tls1.2)
  --ssl-ca FILE               PEM CAs for client certificates (asked for, checked if sent)
  --ssl-client-verify         require a client certificate signed by --ssl-ca
  --ssl-crl FILE              PEM CRLs checked against client certificates
  --log-level LEVEL           debug, info, warning or error (default info)
  --help                      this text
)";

[[noreturn]] void fail_usage(const std::string &message) {
    std::fprintf(stderr, "uring-serve: error: %s (see --help)\n", message.c_str());
    std::exit(2);
}

template <class T> T parse_number(std::string_view option, std::string_view text, T minimum, T maximum) {
    T value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < minimum || value > maximum)
        fail_usage(fmt::format("{} expects a number from {} to {}, got \"{}\"", option, minimum, maximum, text));
    return value;
}

/// Seconds with a fraction ("0.2"), for the WebSocket keepalive options.
std::chrono::milliseconds parse_seconds(std::string_view option, std::string_view text, double minimum) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !(value >= minimum && value <= 86400))
        fail_usage(fmt::format("{} expects seconds from {} to 86400, got \"{}\"", option, minimum, text));
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000 + 0.5));
}

struct Options {
    engine::ServerConfig server;
    std::string root;
    std::vector<std::string> static_routes;
    std::vector<std::string> static_mounts;
    std::string static_dir_to_file;
    bool echo = false;
    bool ws_echo = false;
    std::size_t body_size = 0;
    std::string trailer_lines;  ///< --trailer, each "Name: value\r\n"
    bool ssl_client_verify = false;
};

Options parse_options(int argc, char **argv) {
    Options options;
    engine::ServerConfig &config = options.server;
    // A container image can choose the backend without changing the command line.
    if (const char *from_environment = std::getenv("URING_GRANIAN_IO_BACKEND")) {
        const auto backend = engine::parse_io_backend(from_environment);
        if (!backend)
            fail_usage(fmt::format("URING_GRANIAN_IO_BACKEND expects auto, io_uring or epoll, got \"{}\"",
                                   from_environment));
        config.io_backend = *backend;
    }
    for (int i = 1; i < argc; ++i) {
        const std::string_view option = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) fail_usage(fmt::format("{} needs a value", option));
            return argv[++i];
        };
        auto seconds = [&](std::string_view text) {
            return std::chrono::milliseconds(parse_number<std::uint64_t>(option, text, 1, 86400) * 1000);
        };
        if (option == "--help" || option == "-h") {
            std::fputs(usage.data(), stdout);
            std::exit(0);
        } else if (option == "--host") config.listen.host = value();
        else if (option == "--port") config.listen.port = parse_number<std::uint16_t>(option, value(), 0, 65535);
        else if (option == "--threads") config.threads = parse_number<unsigned>(option, value(), 1, 1024);
        else if (option == "--uds") config.listen.uds_path = value();
        else if (option == "--root") options.root = value();
        else if (option == "--static-path-route") options.static_routes.emplace_back(value());
        else if (option == "--static-path-mount") options.static_mounts.emplace_back(value());
        else if (option == "--static-path-dir-to-file") options.static_dir_to_file = value();
        else if (option == "--echo") options.echo = true;
        else if (option == "--trailer") {
            const std::string line(value());
            const std::size_t colon = line.find(':');
            const bool named = colon != std::string::npos && colon > 0 &&
                               engine::is_token(std::string_view(line).substr(0, colon));
            if (!named || line.find_first_of("\r\n") != std::string::npos)
                fail_usage("--trailer takes \"NAME: VALUE\", NAME a token, without line breaks");
            options.trailer_lines += line + "\r\n";
        }
        else if (option == "--ws-echo") options.ws_echo = true;
        else if (option == "--no-ws") config.websocket.enabled = false;
        else if (option == "--ws-max-size")
            config.websocket.max_message_bytes = parse_number<std::uint64_t>(option, value(), 1, UINT64_MAX);
        else if (option == "--ws-per-message-deflate") config.websocket.per_message_deflate = true;
        else if (option == "--no-ws-per-message-deflate") config.websocket.per_message_deflate = false;
        else if (option == "--ws-deflate-window-bits") {
            const auto bits = parse_number<unsigned>(option, value(), 9, 15);
            config.websocket.deflate_server_max_window_bits = static_cast<std::uint8_t>(bits);
            config.websocket.deflate_client_max_window_bits = static_cast<std::uint8_t>(bits);
        } else if (option == "--ws-deflate-context-takeover") {
            config.websocket.deflate_server_no_context_takeover = false;
        } else if (option == "--ws-deflate-no-context-takeover") {
            config.websocket.deflate_server_no_context_takeover = true;
            config.websocket.deflate_client_no_context_takeover = true;
        }
        else if (option == "--ws-ping-interval") config.websocket.ping_interval = parse_seconds(option, value(), 0);
        else if (option == "--ws-ping-timeout") config.websocket.ping_timeout = parse_seconds(option, value(), 0.001);
        else if (option == "--body-size") options.body_size = parse_number<std::size_t>(option, value(), 1, 1ull << 32);
        else if (option == "--send-zc-threshold")
        {
            config.send_zc_threshold = parse_number<std::size_t>(option, value(), 0, SIZE_MAX);
            config.send_zc_to_local_peers = true;  // an explicit threshold applies to loopback benchmarks too
        }
        else if (option == "--http") {
            const std::string_view name = value();
            const auto version = engine::parse_http_version(name);
            if (!version) fail_usage(fmt::format("--http expects auto, 1 or 2, got \"{}\"", name));
            config.http = *version;
        }
        else if (option == "--http2-adaptive-window") config.http2.adaptive_window = true;
        else if (option == "--http2-initial-connection-window-size")
            config.http2.initial_connection_window_size = parse_number<std::uint32_t>(option, value(), 65535, INT32_MAX);
        else if (option == "--http2-initial-stream-window-size")
            config.http2.initial_stream_window_size = parse_number<std::uint32_t>(option, value(), 1, INT32_MAX);
        else if (option == "--http2-keep-alive-interval")
            config.http2.keep_alive_interval =
                std::chrono::milliseconds(parse_number<std::uint32_t>(option, value(), 1, 86'400'000));
        else if (option == "--http2-keep-alive-timeout") config.http2.keep_alive_timeout = seconds(value());
        else if (option == "--http2-max-concurrent-streams")
            config.http2.max_concurrent_streams = parse_number<std::uint32_t>(option, value(), 1, INT32_MAX);
        else if (option == "--http2-max-frame-size")
            config.http2.max_frame_size = parse_number<std::uint32_t>(option, value(), 16384, 16777215);
        else if (option == "--http2-max-headers-size")
            config.http2.max_headers_size = parse_number<std::uint32_t>(option, value(), 1, UINT32_MAX);
        else if (option == "--http2-max-send-buffer-size")
            config.http2.max_send_buffer_size = parse_number<std::uint32_t>(option, value(), 1, UINT32_MAX);
        else if (option == "--pin") config.pin_threads = true;
        else if (option == "--io-backend") {
            const std::string_view name = value();
            const auto backend = engine::parse_io_backend(name);
            if (!backend) fail_usage(fmt::format("--io-backend expects auto, io_uring or epoll, got \"{}\"", name));
            config.io_backend = *backend;
        }
        else if (option == "--backlog") config.listen.backlog = parse_number<int>(option, value(), 1, 1 << 20);
        else if (option == "--header-read-timeout") config.timeouts.header_read = seconds(value());
        else if (option == "--keep-alive-timeout") config.timeouts.keep_alive_idle = seconds(value());
        else if (option == "--graceful-timeout") config.timeouts.graceful_shutdown = seconds(value());
        else if (option == "--max-body-size")
            config.limits.max_body_bytes = parse_number<std::uint64_t>(option, value(), 0, UINT64_MAX);
        else if (option == "--max-header-size")
            config.limits.max_header_bytes = parse_number<std::size_t>(option, value(), 256, 1 << 24);
        else if (option == "--max-headers")
            config.limits.max_header_count = parse_number<std::size_t>(option, value(), 1, 10000);
        else if (option == "--max-request-line")
            config.limits.max_request_line = parse_number<std::size_t>(option, value(), 64, 1 << 24);
        else if (option == "--max-connections")
            config.max_connections = parse_number<unsigned>(option, value(), 1, 1 << 22);
        else if (option.starts_with("--ssl-")) {
            engine::TlsOptions &tls = config.tls ? *config.tls : config.tls.emplace();
            if (option == "--ssl-certificate") tls.certificate_file = value();
            else if (option == "--ssl-keyfile") tls.key_file = value();
            else if (option == "--ssl-keyfile-password") tls.key_password = value();
            else if (option == "--ssl-ca") tls.ca_file = value();
            else if (option == "--ssl-crl") tls.crl_file = value();
            else if (option == "--ssl-client-verify") options.ssl_client_verify = true;
            else if (option == "--ssl-protocol-min") {
                const std::string_view text = value();
                const auto protocol = engine::tls::parse_tls_protocol(text);
                if (!protocol) fail_usage(fmt::format("--ssl-protocol-min expects tls1.2 or tls1.3, got \"{}\"", text));
                tls.min_protocol = *protocol;
            } else fail_usage(fmt::format("unknown option \"{}\"", option));
        } else if (option == "--log-level") {
            const std::string_view level = value();
            if (level == "debug") engine::set_log_level(engine::LogLevel::debug);
            else if (level == "info") engine::set_log_level(engine::LogLevel::info);
            else if (level == "warning") engine::set_log_level(engine::LogLevel::warning);
            else if (level == "error") engine::set_log_level(engine::LogLevel::error);
            else fail_usage(fmt::format("unknown log level \"{}\"", level));
        } else fail_usage(fmt::format("unknown option \"{}\"", option));
    }
    if (options.echo && !options.root.empty()) fail_usage("--echo and --root exclude each other");
    if (options.ws_echo && !options.root.empty()) fail_usage("--ws-echo and --root exclude each other");
    if (options.ws_echo && !config.websocket.enabled) fail_usage("--ws-echo and --no-ws exclude each other");
    // Paired by position as uring-granian (and Granian) pair them; one mount alone may keep the default route.
    if (options.static_mounts.size() == 1 && options.static_routes.empty())
        options.static_routes.emplace_back("/static");
    if (options.static_routes.size() != options.static_mounts.size())
        fail_usage(fmt::format("--static-path-route and --static-path-mount pair by position: got {} route(s) for {} "
                               "mount(s)",
                               options.static_routes.size(), options.static_mounts.size()));
    if (!options.static_dir_to_file.empty() && options.static_mounts.empty())
        fail_usage("--static-path-dir-to-file needs --static-path-mount");
    if (config.tls) {
        const auto verify =
            engine::tls::client_verify_from_flags(!config.tls->ca_file.empty(), options.ssl_client_verify);
        if (!verify) fail_usage("--ssl-client-verify needs --ssl-ca");
        config.tls->client_verify = *verify;
        // Missing files and the like are startup errors (Server::start), reported in one line.
        if (std::string problem = engine::tls::validate_tls_options(*config.tls); !problem.empty()) fail_usage(problem);
    }
    return options;
}

std::uint64_t exchange_key(engine::ExchangeId id) { return (std::uint64_t{id.slot} << 32) | id.generation; }

/// --ws-echo: the handshake is accepted with the first subprotocol offered; each message goes back as it
/// came (text as text, binary as binary); the text message "close CODE REASON" closes the session
/// instead. Echoes are flow-controlled as an app should be: a session with more than `pause_above`
/// bytes posted and not yet sent (the client is not reading) stops being read until they drain below
/// `resume_below`, so a client that only sends cannot make the server buffer without bound. Per-reactor
/// maps: callbacks of one reactor never race.
class WebSocketEcho {
    /// Takes back the heap copies echoed as ExternalBuffers.
    struct HeapCopies final : engine::BufferLender {
        void release(void *ctx) noexcept override { delete static_cast<std::string *>(ctx); }
    };

  public:
    explicit WebSocketEcho(unsigned reactors) : sessions_(reactors) {}
    void attach(engine::Server &server) { server_ = &server; }

    /// Accepts with the first subprotocol the client offers, if any (so clients can test that path).
    void accept(engine::ExchangeId id, const engine::Request &request) {
        sessions_[id.reactor][exchange_key(id)];
        engine::WebSocketAccept accept;
        const auto offered = engine::ws::requested_subprotocols(request);
        if (!offered.empty() && engine::is_token(offered.front())) accept.subprotocol = offered.front();
        server_->accept_websocket(id, std::move(accept));
    }
    engine::MessageFlow on_message(engine::ExchangeId id, bool text, std::string_view payload) {
        if (text && is_close_command(payload)) {
            server_->post_websocket(id, close_frame(payload.substr(close_command.size())));
            return engine::MessageFlow::proceed;
        }
        auto found = sessions_[id.reactor].find(exchange_key(id));
        if (found == sessions_[id.reactor].end()) return engine::MessageFlow::proceed;
        Session &session = found->second;
        engine::WebSocketOutbound echo;
        echo.kind = text ? engine::WebSocketOutbound::Kind::text : engine::WebSocketOutbound::Kind::binary;
        // A heap copy handed over as an ExternalBuffer, as a language binding would hand its own
        // objects over: the engine sends it without copying and releases it when done.
        auto *copy = new std::string(payload);
        echo.payload = engine::ExternalBuffer{copy->data(), copy->size(), &heap_copies_, copy};
        echo.notify_sent = true;
        session.unsent.push_back(payload.size());
        session.unsent_bytes += payload.size();
        server_->post_websocket(id, std::move(echo));
        if (session.unsent_bytes <= pause_above) return engine::MessageFlow::proceed;
        session.paused = true;
        return engine::MessageFlow::pause;
    }
    void on_sent(engine::ExchangeId id) {
        auto found = sessions_[id.reactor].find(exchange_key(id));
        if (found == sessions_[id.reactor].end() || found->second.unsent.empty()) return;
        Session &session = found->second;
        session.unsent_bytes -= session.unsent.front();
        session.unsent.pop_front();
        if (session.paused && session.unsent_bytes < resume_below) {
            session.paused = false;
            server_->resume_websocket(id);
        }
    }
    void on_end(engine::ExchangeId id) { sessions_[id.reactor].erase(exchange_key(id)); }
    /// The session ended. After a protocol violation the engine holds its close frame for our echoes of
    /// the messages before it: they are posted already (same reactor, in order), so this close follows them.
    void on_close(engine::ExchangeId id, std::uint16_t code) {
        on_end(id);
        if (engine::ws_close_awaits_handler(code)) {
            engine::WebSocketOutbound close;
            close.kind = engine::WebSocketOutbound::Kind::close;
            server_->post_websocket(id, std::move(close));
        }
    }

  private:
    static constexpr std::string_view close_command = "close ";

    /// "close " and a four-digit code, then the end or a space: ordinary text that merely starts with
    /// "close" (Autobahn's 12.4.* send slices of an HTML file) is echoed like any other.
    static bool is_close_command(std::string_view text) noexcept {
        if (!text.starts_with(close_command)) return false;
        text.remove_prefix(close_command.size());
        if (text.size() < 4 || !std::all_of(text.begin(), text.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }))
            return false;
        return text.size() == 4 || text[4] == ' ';
    }
    static constexpr std::size_t pause_above = 1 << 20;
    static constexpr std::size_t resume_below = 256 << 10;

    struct Session {
        std::deque<std::size_t> unsent;  ///< sizes of the echoes posted and not yet sent, oldest first
        std::size_t unsent_bytes = 0;
        bool paused = false;
    };

    /// "CODE REASON" -> a close frame.
    static engine::WebSocketOutbound close_frame(std::string_view arguments) {
        engine::WebSocketOutbound close;
        close.kind = engine::WebSocketOutbound::Kind::close;
        const std::size_t space = arguments.find(' ');
        const std::string_view code = arguments.substr(0, space);
        if (std::from_chars(code.data(), code.data() + code.size(), close.close_code).ec != std::errc{})
            close.close_code = 1000;
        close.payload = std::string(space == std::string_view::npos ? std::string_view{} : arguments.substr(space + 1));
        return close;
    }

    engine::Server *server_ = nullptr;
    std::vector<std::unordered_map<std::uint64_t, Session>> sessions_;
    HeapCopies heap_copies_;
};

/// Answers each request once all of it has arrived (so a malformed body still gets its 400): with
/// a fixed body, or (echo) with the request's own body. Collected bodies are kept per reactor, so no
/// lock is needed. With `ws_echo`, WebSocket handshakes are accepted (WebSocketEcho); otherwise they
/// get the plain answer, which denies them.
class WholeRequestHandler final : public engine::Handler {
  public:
    /// `fixed_body` empty: echo mode.
    WholeRequestHandler(unsigned reactors, std::string fixed_body, bool ws_echo, std::string trailer_lines)
        : fixed_body_(std::move(fixed_body)), trailer_lines_(std::move(trailer_lines)), bodies_(reactors) {
        if (ws_echo) ws_echo_.emplace(reactors);
    }
    void attach(engine::Server &server) {
        server_ = &server;
        if (ws_echo_) ws_echo_->attach(server);
    }

    void on_request(engine::Exchange &exchange) override {
        if (ws_echo_ && exchange.request().websocket) {
            ws_echo_->accept(exchange.id(), exchange.request());
            return;
        }
        if (!exchange.request().has_body()) {
            exchange.send(response({}));
            return;
        }
        bodies_[exchange.id().reactor][exchange_key(exchange.id())];
    }
    engine::BodyFlow on_body(engine::ExchangeId id, std::string_view data, bool last) override {
        auto &pending = bodies_[id.reactor];
        auto found = pending.find(exchange_key(id));
        if (found == pending.end()) return engine::BodyFlow::proceed;
        if (echo()) found->second.append(data);
        if (last) {
            server_->post(id, response(std::move(found->second)));
            pending.erase(found);
        }
        return engine::BodyFlow::proceed;
    }
    void on_abort(engine::ExchangeId id) override {
        bodies_[id.reactor].erase(exchange_key(id));
        if (ws_echo_) ws_echo_->on_end(id);
    }
    void on_sent(engine::ExchangeId id) override {
        if (ws_echo_) ws_echo_->on_sent(id);
    }
    engine::MessageFlow on_ws_message(engine::ExchangeId id, bool text, std::string_view payload) override {
        return ws_echo_ ? ws_echo_->on_message(id, text, payload) : engine::MessageFlow::proceed;
    }
    void on_ws_close(engine::ExchangeId id, std::uint16_t code, std::string_view reason) override {
        engine::log(engine::LogLevel::debug, "websocket {}/{} closed: {} \"{}\"", id.slot, id.generation, code, reason);
        if (ws_echo_) ws_echo_->on_close(id, code);
    }

  private:
    bool echo() const noexcept { return fixed_body_.empty(); }
    engine::ResponsePart response(std::string echoed) const {
        engine::ResponsePart part;
        if (echo()) {
            part = engine::make_response(200, "Content-Type: application/octet-stream\r\n", std::move(echoed));
        } else {
            // The fixed body lives as long as the handler: sent without a copy and never released.
            part.head = engine::ResponseHead{200, "Content-Type: text/plain\r\n", fixed_body_.size(), false};
            part.body = engine::ExternalBuffer{fixed_body_.data(), fixed_body_.size(), nullptr, nullptr};
            part.end = true;
        }
        if (!trailer_lines_.empty()) {
            part.head->content_length.reset();  // HTTP/1.1 has a trailer section in chunked bodies only
            part.trailer_lines = trailer_lines_;
        }
        return part;
    }

    const std::string fixed_body_;
    const std::string trailer_lines_;
    engine::Server *server_ = nullptr;
    std::vector<std::unordered_map<std::uint64_t, std::string>> bodies_;
    std::optional<WebSocketEcho> ws_echo_;
};

/// --root: every request is a file below DIR (a directory serves its index.html), "*" included (405: it names no
/// file), which a route of "/" would hand to the inner handler instead.
class FilesHandler final : public engine::Handler {
  public:
    explicit FilesHandler(std::string root) : files_(engine::files::StaticFilesOptions{std::move(root)}) {}

    void on_request(engine::Exchange &exchange) override {
        exchange.send(engine::files::into_response(files_.answer(exchange.request(), exchange.request().path)));
    }

  private:
    engine::files::StaticFiles files_;
};

/// The --static-path-route/--static-path-mount pairs.
std::vector<engine::files::StaticMount> static_mounts_of(const Options &options) {
    std::vector<engine::files::StaticMount> mounts;
    for (std::size_t i = 0; i < options.static_mounts.size(); ++i) {
        engine::files::StaticFilesOptions files{options.static_mounts[i]};
        files.index_file = options.static_dir_to_file;
        mounts.push_back({options.static_routes[i], std::move(files)});
    }
    return mounts;
}

} // namespace

int main(int argc, char **argv) {
    Options options = parse_options(argc, argv);

    // Signals are taken synchronously by the main thread; reactor threads inherit the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::shared_ptr<engine::Handler> handler;
    WholeRequestHandler *whole_request = nullptr;
    try {
        if (!options.root.empty()) {
            handler = std::make_shared<FilesHandler>(options.root);
        } else {
            const unsigned reactors = options.server.threads ? options.server.threads : 1024;
            std::string fixed_body;
            if (!options.echo) fixed_body = options.body_size ? std::string(options.body_size, 'x') : "Hello, World!";
            auto created = std::make_shared<WholeRequestHandler>(reactors, std::move(fixed_body), options.ws_echo,
                                                                 options.trailer_lines);
            whole_request = created.get();
            handler = std::move(created);
        }
        // The static routes sit in front of whichever answers the other paths.
        if (auto mounts = static_mounts_of(options); !mounts.empty())
            handler = std::make_shared<engine::files::StaticRouteHandler>(std::move(mounts), std::move(handler));
    } catch (const std::exception &failure) {
        std::fprintf(stderr, "uring-serve: error: %s\n", failure.what());
        return 1;
    }

    engine::Server server(options.server, handler);
    if (whole_request) whole_request->attach(server);
    try {
        server.start();
    } catch (const std::exception &failure) {
        std::fprintf(stderr, "uring-serve: error: %s\n", failure.what());
        return 1;
    }
    const auto &listen = options.server.listen;
    const char *scheme = options.server.tls ? "https" : "http";
    const std::string where =
        !listen.uds_path.empty() ? "unix:" + listen.uds_path
        : listen.host.find(':') != std::string::npos
            ? fmt::format("{}://[{}]:{}", scheme, listen.host, server.bound_port())
            : fmt::format("{}://{}:{}", scheme, listen.host, server.bound_port());
    std::fprintf(stderr, "uring-serve: listening on %s (%u threads)\n", where.c_str(), server.reactor_count());
    std::fflush(stderr);

    int received = 0;
    sigwait(&stop_signals, &received);
    engine::log(engine::LogLevel::info, "received {}, finishing in-flight requests", strsignal(received));
    server.stop();
    server.wait();
    return 0;
}
