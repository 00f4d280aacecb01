// The engine's façade: the one place that joins the layers (core's reactors and backends, http's
// connections, tls), so core/ never includes http/.
#include "engine/server.hpp"

#include "core/backend_probe.hpp"
#include "core/listener.hpp"
#include "core/reactor.hpp"
#include "engine/log.hpp"
#include "http/connection_factory.hpp"
#include "tls/ktls.hpp"
#include "tls/tls_context.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <future>

namespace engine {

Server::Server(ServerConfig config, std::shared_ptr<Handler> handler)
    : config_(std::move(config)), handler_(std::move(handler)) {}

Server::~Server() {
    if (started_) {
        stop();
        wait();
    }
    reactors_.clear();
}

std::vector<std::vector<core::ListenSocket>> Server::prepare_start(unsigned count,
                                                                   std::shared_ptr<const tls::TlsContext> &tls_context) {
    if (started_) throw StartupError("server already started");
    // Certificate problems are found before any socket is opened, and reported as one line.
    if (config_.tls) {
        // ALPN follows --http: h2 first where HTTP/2 is on (RFC 9113 3.2), http/1.1 where HTTP/1 is.
        TlsOptions options = *config_.tls;
        options.alpn.clear();
        if (config_.http != HttpVersion::http1) options.alpn.emplace_back("h2");
        if (config_.http != HttpVersion::http2) options.alpn.emplace_back("http/1.1");
        tls_context = std::make_shared<const tls::TlsContext>(options);
        log(LogLevel::info, "{}", tls_context->describe());
        log(LogLevel::info, "{}", tls::ktls_log_line(tls::probe_ktls()));
    }
    const core::BackendChoice backend = core::choose_io_backend(config_);
    io_backend_ = backend.backend;
    io_backend_fallback_reason_ = backend.fallback_reason;
    if (backend.fallback_reason.empty())
        log(LogLevel::info, "I/O backend: {}", io_backend_name(backend.backend));
    else
        log(LogLevel::info, "I/O backend: epoll (io_uring unavailable: {})", backend.fallback_reason);
    return core::open_listeners(config_.listen, count, bound_port_);
}

void Server::abandon_start(std::vector<std::vector<core::ListenSocket>> &unused, std::string failure) {
    for (auto &reactor : reactors_) reactor->inbox().post(core::Command{core::Command::Kind::stop, {}, {}});
    for (auto &reactor : reactors_) reactor->join();
    std::vector<std::vector<core::ListenSocket>> sockets;
    for (auto &reactor : reactors_) sockets.push_back(std::move(reactor->listeners()));
    for (auto &set : unused) sockets.push_back(std::move(set));
    core::close_listeners(sockets, config_.listen);
    reactors_.clear();
    throw StartupError(failure);
}

void Server::start() {
    unsigned count = config_.threads;
    if (count == 0) {
        const long online = sysconf(_SC_NPROCESSORS_ONLN);
        count = online > 0 ? static_cast<unsigned>(online) : 1u;
    }
    std::shared_ptr<const tls::TlsContext> tls_context;
    auto listeners = prepare_start(count, tls_context);

    std::vector<std::promise<std::string>> ready(count);
    for (unsigned i = 0; i < count; ++i) {
        reactors_.push_back(std::make_unique<core::Reactor>(i, config_, *handler_, std::move(listeners[i]),
                                                            std::make_unique<http::ConnectionFactory>(tls_context),
                                                            io_backend_));
        reactors_.back()->start(ready[i]);
        std::string error = ready[i].get_future().get();
        if (!error.empty()) {
            std::vector<std::vector<core::ListenSocket>> unused;
            for (unsigned j = i + 1; j < count; ++j) unused.push_back(std::move(listeners[j]));
            abandon_start(unused, std::move(error));
        }
    }
    started_ = true;
}

void Server::start_inline(std::function<void()> wake) {
    if (config_.threads != 1)
        throw StartupError(fmt::format("the single-threaded runtime runs one reactor, not {}", config_.threads));
    std::shared_ptr<const tls::TlsContext> tls_context;
    auto listeners = prepare_start(1, tls_context);
    reactors_.push_back(std::make_unique<core::Reactor>(0, config_, *handler_, std::move(listeners[0]),
                                                        std::make_unique<http::ConnectionFactory>(tls_context),
                                                        io_backend_));
    if (std::string error = reactors_.back()->setup_inline(std::move(wake)); !error.empty()) {
        // Nothing runs this reactor: its listeners are closed here rather than after a drain.
        std::vector<std::vector<core::ListenSocket>> sockets;
        sockets.push_back(std::move(reactors_.back()->listeners()));
        reactors_.clear();
        abandon_start(sockets, std::move(error));
    }
    inline_ = true;
    started_ = true;
}

bool Server::run_ready() { return inline_ && reactors_.front()->run_ready(); }

int Server::poll_fd() const noexcept { return inline_ ? reactors_.front()->poll_fd() : -1; }

bool Server::wants_run() const noexcept { return inline_ && reactors_.front()->wants_run(); }

int Server::tick_ms(bool booked) noexcept { return inline_ ? reactors_.front()->tick_ms(booked) : -1; }

void Server::post(ExchangeId id, ResponsePart &&part) {
    if (id.reactor >= reactors_.size()) {
        core::release_body(part.body);
        return;
    }
    reactors_[id.reactor]->inbox().post(core::Command{core::Command::Kind::response_part, id, std::move(part)});
}

void Server::resume_body(ExchangeId id) {
    if (id.reactor < reactors_.size())
        reactors_[id.reactor]->inbox().post(core::Command{core::Command::Kind::resume_body, id, {}});
}

void Server::accept_websocket(ExchangeId id, WebSocketAccept &&accept) {
    if (id.reactor >= reactors_.size()) return;
    core::Command command{core::Command::Kind::websocket_accept, id, {}};
    command.websocket_accept = std::move(accept);
    reactors_[id.reactor]->inbox().post(std::move(command));
}

void Server::post_websocket(ExchangeId id, WebSocketOutbound &&outbound) {
    if (id.reactor >= reactors_.size()) {
        core::release_body(outbound.payload);
        return;
    }
    core::Command command{core::Command::Kind::websocket_outbound, id, {}};
    command.websocket_outbound = std::move(outbound);
    reactors_[id.reactor]->inbox().post(std::move(command));
}

void Server::resume_websocket(ExchangeId id) {
    if (id.reactor < reactors_.size())
        reactors_[id.reactor]->inbox().post(core::Command{core::Command::Kind::websocket_resume, id, {}});
}

void Server::abort(ExchangeId id) {
    if (id.reactor < reactors_.size())
        reactors_[id.reactor]->inbox().post(core::Command{core::Command::Kind::abort, id, {}});
}

void Server::stop() {
    for (auto &reactor : reactors_) reactor->inbox().post(core::Command{core::Command::Kind::stop, {}, {}});
}

void Server::wait() {
    if (inline_ && started_) reactors_.front()->drive_to_end();
    for (auto &reactor : reactors_) reactor->join();
    if (!started_) return;
    std::vector<std::vector<core::ListenSocket>> sockets;
    for (auto &reactor : reactors_) sockets.push_back(std::move(reactor->listeners()));
    core::close_listeners(sockets, config_.listen);
    started_ = false;
}

unsigned Server::reactor_count() const noexcept { return static_cast<unsigned>(reactors_.size()); }

std::uint16_t Server::bound_port() const noexcept { return bound_port_; }

std::vector<ReactorStats> Server::stats() const {
    std::vector<ReactorStats> result;
    for (const auto &reactor : reactors_) result.push_back(reactor->stats());
    return result;
}

} // namespace engine
