"""Settings that cross the bridge to the engine, as plain dataclasses.

They mirror engine/include/engine/config.hpp (Limits, Timeouts, ListenConfig, WebSocketConfig, TlsOptions, top of
ServerConfig) field for field, in the engine's units, so the native side copies them without interpreting options.
They are derived from a validated Config: the bridge takes `EngineSettings.from_config(config)` and never reads
CLI-level names.

Defaults live in one layer, config.py: these classes have none for what an option sets (only "absent" markers such
as an empty uds_path), and the bridge copies every field, so the engine's own defaults in config.hpp (a 10 s
header-read timeout, no WebSocket pings) apply to uring-serve and the C++ tests alone, never to the package.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config
from .constants import Interfaces

__all__ = [
    "EngineSettings",
    "HTTP1Settings",
    "HTTP2Settings",
    "ListenSettings",
    "StaticFilesSettings",
    "TimeoutSettings",
    "TlsSettings",
    "WebSocketSettings",
]


@dataclass(frozen=True)
class HTTP1Settings:
    """engine::Limits plus ServerConfig::keep_alive."""

    keep_alive: bool
    max_request_line: int  # bytes, 414 above
    max_header_bytes: int  # bytes, 431 above
    max_header_count: int  # 431 above
    max_body_bytes: int  # bytes, 413 above; 0 = unlimited

    @classmethod
    def from_config(cls, config: Config) -> HTTP1Settings:
        return cls(
            keep_alive=config.http1_keep_alive,
            max_request_line=config.http1_max_request_line,
            max_header_bytes=config.http1_max_headers_size,
            max_header_count=config.http1_max_headers,
            max_body_bytes=config.http1_max_body_size,
        )


@dataclass(frozen=True)
class HTTP2Settings:
    """engine::Http2Config plus ServerConfig::http (by name: auto, 1, 2), in milliseconds and bytes."""

    http: str
    adaptive_window: bool
    initial_connection_window_size: int
    initial_stream_window_size: int
    keep_alive_interval_ms: int  # 0: never
    keep_alive_timeout_ms: int
    max_concurrent_streams: int
    max_frame_size: int
    max_headers_size: int
    max_send_buffer_size: int

    @classmethod
    def from_config(cls, config: Config) -> HTTP2Settings:
        return cls(
            http=config.http.value,
            adaptive_window=config.http2_adaptive_window,
            initial_connection_window_size=config.http2_initial_connection_window_size,
            initial_stream_window_size=config.http2_initial_stream_window_size,
            keep_alive_interval_ms=config.http2_keep_alive_interval or 0,
            keep_alive_timeout_ms=config.http2_keep_alive_timeout * 1000,
            max_concurrent_streams=config.http2_max_concurrent_streams,
            max_frame_size=config.http2_max_frame_size,
            max_headers_size=config.http2_max_headers_size,
            max_send_buffer_size=config.http2_max_send_buffer_size,
        )


@dataclass(frozen=True)
class TimeoutSettings:
    """engine::Timeouts, in milliseconds."""

    header_read_ms: int
    graceful_shutdown_ms: int

    @classmethod
    def from_config(cls, config: Config) -> TimeoutSettings:
        return cls(
            header_read_ms=config.http1_header_read_timeout,
            graceful_shutdown_ms=config.graceful_timeout * 1000,
        )


@dataclass(frozen=True)
class WebSocketSettings:
    """engine::WebSocketConfig, in milliseconds. Off under WSGI, which has no WebSocket interface: upgrade requests
    are then ordinary HTTP requests."""

    enabled: bool
    max_message_bytes: int  # larger messages close the session with 1009
    ping_interval_ms: int  # ping a peer quiet this long; 0: never
    ping_timeout_ms: int  # close with 1011 when a ping goes unanswered this long; 0: wait forever
    per_message_deflate: bool  # negotiate permessage-deflate (RFC 7692) when the client offers it

    @classmethod
    def from_config(cls, config: Config) -> WebSocketSettings:
        return cls(
            enabled=config.ws and config.interface != Interfaces.WSGI,
            max_message_bytes=config.ws_max_size,
            ping_interval_ms=round(config.ws_ping_interval * 1000),
            ping_timeout_ms=round(config.ws_ping_timeout * 1000),
            per_message_deflate=config.ws_per_message_deflate,
        )


@dataclass(frozen=True)
class ListenSettings:
    """engine::ListenConfig. An empty uds_path means TCP on host:port; uds_permissions 0 leaves the umask's mode.
    check_port_free: fail when something already listens on the TCP port (which SO_REUSEPORT would share)."""

    host: str
    port: int
    backlog: int
    uds_path: str = ""
    uds_permissions: int = 0
    inherited_fds: tuple[int, ...] = ()
    check_port_free: bool = True

    @classmethod
    def from_config(cls, config: Config, port_checked: bool = False) -> ListenSettings:
        """`port_checked`: a supervisor checked the port before starting this worker, whose siblings (and, in a
        rolling restart, the worker it replaces) listen there already."""
        if config.fd is not None:
            # An inherited socket is used as it is: nothing to bind, chmod or unlink here.
            return cls(host=config.host, port=config.port, inherited_fds=(config.fd,), backlog=config.backlog)
        return cls(
            host=config.host,
            port=config.port,
            uds_path=config.uds or "",
            uds_permissions=config.uds_permissions or 0,
            backlog=config.backlog,
            check_port_free=not port_checked,
        )


@dataclass(frozen=True)
class TlsSettings:
    """engine::TlsOptions, in Granian's terms: the native side turns protocol_min and the client_verify flag
    into the engine's enums with the same helpers as uring-serve (engine/tls/tls_options.hpp)."""

    certificate_file: str
    key_file: str
    key_password: str = ""  # empty: the key is not encrypted
    protocol_min: str = "tls1.2"  # "tls1.2" or "tls1.3"
    ca_file: str = ""  # empty: no client certificates asked for
    client_verify: bool = False  # with ca_file: a client certificate is required
    crl_file: str = ""

    @classmethod
    def from_config(cls, config: Config) -> TlsSettings | None:
        if config.ssl_certificate is None or config.ssl_keyfile is None:
            return None
        return cls(
            certificate_file=config.ssl_certificate,
            key_file=config.ssl_keyfile,
            key_password=config.ssl_keyfile_password or "",
            protocol_min=config.ssl_protocol_min,
            ca_file=config.ssl_ca or "",
            client_verify=config.ssl_client_verify,
            crl_file=config.ssl_crl or "",
        )


@dataclass(frozen=True)
class StaticFilesSettings:
    """The engine-served static routes (engine/files/static_route_handler.hpp): requests under a route are answered
    from its directory on the reactor threads and never reach the application; the longest matching route wins."""

    mounts: tuple[tuple[str, str], ...]  # (route, directory), in the order given
    dir_to_file: str = ""  # served for a requested directory; "" = directories are 404
    expires_seconds: int = 86400  # Cache-Control: max-age; 0 sends none

    @classmethod
    def from_config(cls, config: Config) -> StaticFilesSettings | None:
        mounts = config.static_mounts()
        if not mounts:
            return None
        return cls(mounts, config.static_path_dir_to_file or "", config.static_path_expires)


@dataclass(frozen=True)
class EngineSettings:
    """engine::ServerConfig: everything one worker's engine needs, in one object passed across the bridge."""

    listen: ListenSettings
    http1: HTTP1Settings
    http2: HTTP2Settings
    timeouts: TimeoutSettings
    websocket: WebSocketSettings
    threads: int
    pin_threads: bool
    io_backend: str  # engine::IoBackendKind by name
    tls: TlsSettings | None = None  # None: plain HTTP
    static_files: StaticFilesSettings | None = None  # a handler in front of the app's, not a ServerConfig field

    @classmethod
    def from_config(cls, config: Config, port_checked: bool = False) -> EngineSettings:
        """`port_checked`: see ListenSettings.from_config."""
        return cls(
            listen=ListenSettings.from_config(config, port_checked),
            http1=HTTP1Settings.from_config(config),
            http2=HTTP2Settings.from_config(config),
            timeouts=TimeoutSettings.from_config(config),
            websocket=WebSocketSettings.from_config(config),
            threads=config.threads,
            pin_threads=config.pin_threads,
            io_backend=config.resolved_io_backend().value,
            tls=TlsSettings.from_config(config),
            static_files=StaticFilesSettings.from_config(config),
        )
