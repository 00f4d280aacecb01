#include "settings.hpp"

#include <sched.h>

#include <chrono>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "engine/server.hpp"
#include "engine/static_routes.hpp"
#include "engine/tls_flags.hpp"

namespace py = pybind11;

namespace bridge {

namespace {

template <typename T> T field(py::handle object, const char *name) {
    py::object value = object.attr(name);
    try {
        return value.cast<T>();
    } catch (const py::cast_error &) {
        throw py::type_error(std::string("engine setting '") + name + "' has the wrong type: " +
                             py::repr(value).cast<std::string>());
    }
}

unsigned usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return static_cast<unsigned>(count);
    }
    return 1;
}

/// TlsSettings -> TlsOptions, with the same flag helpers as uring-serve so both spell the options alike.
engine::TlsOptions tls_options_from(py::handle tls) {
    engine::TlsOptions options;
    options.certificate_file = field<std::string>(tls, "certificate_file");
    options.key_file = field<std::string>(tls, "key_file");
    options.key_password = field<std::string>(tls, "key_password");
    const auto protocol = engine::tls::parse_tls_protocol(field<std::string>(tls, "protocol_min"));
    if (!protocol) throw py::value_error("engine setting 'tls.protocol_min' must be tls1.2 or tls1.3");
    options.min_protocol = *protocol;
    options.ca_file = field<std::string>(tls, "ca_file");
    const bool verify_flag = field<bool>(tls, "client_verify");
    const auto verify = engine::tls::client_verify_from_flags(!options.ca_file.empty(), verify_flag);
    if (!verify) throw py::value_error("engine setting 'tls.client_verify' needs 'tls.ca_file'");
    options.client_verify = *verify;
    options.crl_file = field<std::string>(tls, "crl_file");
    return options;
}

} // namespace

engine::ListenConfig listen_config_from(py::handle settings) {
    engine::ListenConfig config;
    py::object listen = settings.attr("listen");
    config.host = field<std::string>(listen, "host");
    config.port = field<std::uint16_t>(listen, "port");
    config.uds_path = field<std::string>(listen, "uds_path");
    config.uds_permissions = field<unsigned>(listen, "uds_permissions");
    for (py::handle fd : listen.attr("inherited_fds")) config.inherited_fds.push_back(fd.cast<int>());
    config.backlog = field<int>(listen, "backlog");
    config.check_port_free = field<bool>(listen, "check_port_free");
    return config;
}

engine::ServerConfig engine_config_from(py::handle settings) {
    engine::ServerConfig config;
    config.listen = listen_config_from(settings);

    py::object http1 = settings.attr("http1");
    config.keep_alive = field<bool>(http1, "keep_alive");
    config.limits.max_request_line = field<std::size_t>(http1, "max_request_line");
    config.limits.max_header_bytes = field<std::size_t>(http1, "max_header_bytes");
    config.limits.max_header_count = field<std::size_t>(http1, "max_header_count");
    config.limits.max_body_bytes = field<std::uint64_t>(http1, "max_body_bytes");

    py::object http2 = settings.attr("http2");
    const std::string http = field<std::string>(http2, "http");
    const auto version = engine::parse_http_version(http);
    if (!version) throw py::value_error("engine setting 'http2.http' must be auto, 1 or 2, not \"" + http + "\"");
    config.http = *version;
    config.http2.adaptive_window = field<bool>(http2, "adaptive_window");
    config.http2.initial_connection_window_size = field<std::uint32_t>(http2, "initial_connection_window_size");
    config.http2.initial_stream_window_size = field<std::uint32_t>(http2, "initial_stream_window_size");
    config.http2.keep_alive_interval = std::chrono::milliseconds(field<std::int64_t>(http2, "keep_alive_interval_ms"));
    config.http2.keep_alive_timeout = std::chrono::milliseconds(field<std::int64_t>(http2, "keep_alive_timeout_ms"));
    config.http2.max_concurrent_streams = field<std::uint32_t>(http2, "max_concurrent_streams");
    config.http2.max_frame_size = field<std::uint32_t>(http2, "max_frame_size");
    config.http2.max_headers_size = field<std::uint32_t>(http2, "max_headers_size");
    config.http2.max_send_buffer_size = field<std::uint32_t>(http2, "max_send_buffer_size");

    py::object timeouts = settings.attr("timeouts");
    config.timeouts.header_read = std::chrono::milliseconds(field<std::int64_t>(timeouts, "header_read_ms"));
    config.timeouts.graceful_shutdown =
        std::chrono::milliseconds(field<std::int64_t>(timeouts, "graceful_shutdown_ms"));

    py::object websocket = settings.attr("websocket");
    config.websocket.enabled = field<bool>(websocket, "enabled");
    config.websocket.max_message_bytes = field<std::uint64_t>(websocket, "max_message_bytes");
    config.websocket.ping_interval = std::chrono::milliseconds(field<std::int64_t>(websocket, "ping_interval_ms"));
    config.websocket.ping_timeout = std::chrono::milliseconds(field<std::int64_t>(websocket, "ping_timeout_ms"));
    config.websocket.per_message_deflate = field<bool>(websocket, "per_message_deflate");

    config.threads = field<unsigned>(settings, "threads");
    if (config.threads == 0) config.threads = usable_cpus();
    config.pin_threads = field<bool>(settings, "pin_threads");
    const std::string backend = field<std::string>(settings, "io_backend");
    const auto io_backend = engine::parse_io_backend(backend);
    if (!io_backend) throw py::value_error("io_backend must be auto, io_uring or epoll, not \"" + backend + "\"");
    config.io_backend = *io_backend;
    // Missing or unreadable files are the engine's StartupError at start(), like uring-serve's.
    if (py::object tls = settings.attr("tls"); !tls.is_none()) config.tls = tls_options_from(tls);
    return config;
}

std::shared_ptr<engine::Handler> with_static_route(py::handle settings, std::shared_ptr<engine::Handler> handler,
                                                   std::shared_ptr<engine::files::StaticAnswerObserver> observer) {
    py::object static_files = settings.attr("static_files");
    if (static_files.is_none()) return handler;
    engine::files::StaticFilesOptions options;
    options.index_file = field<std::string>(static_files, "dir_to_file");  // "": a directory is 404, as in Granian
    if (const auto expires = field<std::uint32_t>(static_files, "expires_seconds"); expires > 0)
        options.expires_seconds = expires;
    std::vector<engine::files::StaticMount> mounts;
    for (py::handle pair : static_files.attr("mounts")) {
        auto [route, directory] = pair.cast<std::pair<std::string, std::string>>();
        options.root = std::move(directory);
        mounts.push_back(engine::files::StaticMount{std::move(route), options});
    }
    try {
        return engine::files::make_static_route_handler(std::move(mounts), std::move(handler), std::move(observer));
    } catch (const std::exception &error) {
        // Raised as uring_granian.StartupError: a mount that vanished since the options were checked, or a
        // kernel without openat2, stops the worker with this one line.
        throw engine::StartupError(error.what());
    }
}

} // namespace bridge
