"""Every option of the server, declared once.

`Config` is a frozen dataclass; each field carries an `Option` in its metadata: its help and --help section
(`group`), what kind of value it is (`kind`, and the StrEnum of a choice), its flags and bounds. The CLI (cli.py,
with its URING_GRANIAN_* variables), `serve()` (main.py), the workers' hand-over (worker.py) and `Config.validate()`
are all derived from these declarations, so adding an option is adding one field here.
Names follow Granian's wherever Granian has the option.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .constants import IO_BACKEND_ENV, HTTPModes, Interfaces, IoBackends, LogLevels, Loops, RuntimeModes
from .errors import ConfigError

__all__ = ["Config", "ConfigError", "Kind", "Option", "options"]

OPTION_KEY = "uring_granian.option"

# Granian's --ssl-protocol-min values, oldest first.
TLS_PROTOCOLS = ("tls1.2", "tls1.3")


class Kind(StrEnum):
    """What a field's value is: how the CLI parses a string into it and how Config.validate() checks it."""

    BOOL = "bool"  # --name / --no-name
    INT = "int"
    FLOAT = "float"
    OCTAL = "octal"  # an int written in octal (file permissions)
    TEXT = "text"
    CHOICE = "choice"  # one of `enum`'s values (a StrEnum field), or of `choices` (a str field)
    LIST = "list"  # the flag may be given several times; the value is a tuple of the strings


@dataclass(frozen=True)
class Option:
    """How one Config field appears to users: everything the CLI, serve() and validate() need to know about it."""

    help: str
    group: str = ""  # the section of --help ("" only for the positional app)
    kind: Kind = Kind.TEXT
    enum: type[StrEnum] | None = None  # the StrEnum of a choice field (implies kind CHOICE)
    flags: tuple[str, ...] = ()  # empty: derived from the field name (`--field-name`); ("APP",) style: positional
    choices: tuple[str, ...] | None = None  # for a choice field without an enum
    metavar: str | None = None
    minimum: int | None = None  # bounds for int and float fields, checked by Config.validate()
    maximum: int | None = None

    def __post_init__(self) -> None:
        if self.enum is not None:
            object.__setattr__(self, "kind", Kind.CHOICE)
            object.__setattr__(self, "choices", tuple(member.value for member in self.enum))
        elif self.choices is not None:
            object.__setattr__(self, "kind", Kind.CHOICE)

    @property
    def parser(self) -> Callable[[str], Any]:
        """A command-line string -> the field's value; ValueError when it is not one. argparse names the function in
        its errors ("invalid int value: 'x'")."""
        return _PARSERS.get(self.kind, str)


def _option(help_text: str, **spec: Any) -> dict[str, Option]:
    """Field metadata declaring how the field appears to users."""
    return {OPTION_KEY: Option(help=help_text, **spec)}


@dataclass(frozen=True)
class Config:
    # Required (from_options refuses None); the None default only lets every other field keep its own default.
    app: str | Callable[..., Any] = field(  # type: ignore[assignment]
        default=None,
        metadata=_option(
            "the application to serve, as module:attr (also module:attr.sub; module alone means module:app)",
            flags=("APP",),
            metavar="APP",
        ),
    )
    # --- what and where ------------------------------------------------------------------------------------
    interface: Interfaces = field(
        default=Interfaces.ASGI, metadata=_option("application interface", group="listening", enum=Interfaces)
    )
    host: str = field(default="127.0.0.1", metadata=_option("host address to bind to", group="listening"))
    port: int = field(
        default=8000, metadata=_option("port to bind to", minimum=0, maximum=65535, group="listening", kind=Kind.INT)
    )
    uds: str | None = field(
        default=None,
        metadata=_option(
            "bind to this Unix domain socket path instead of host:port", metavar="PATH", group="listening"
        ),
    )
    uds_permissions: int | None = field(
        default=None,
        metadata=_option(
            "permissions of the Unix socket file, in octal (e.g. 660)",
            minimum=0,
            maximum=0o777,
            metavar="OCTAL",
            group="listening",
            kind=Kind.OCTAL,
        ),
    )
    fd: int | None = field(
        default=None,
        metadata=_option(
            "serve on this already-listening socket descriptor, inherited from the parent process"
            " (host, port and uds then only describe it)",
            minimum=0,
            metavar="FD",
            group="listening",
            kind=Kind.INT,
        ),
    )
    backlog: int = field(
        default=1024,
        metadata=_option(
            "maximum number of pending connections per listening socket",
            minimum=1,
            maximum=1 << 20,
            group="listening",
            kind=Kind.INT,
        ),
    )
    # --- processes and threads -----------------------------------------------------------------------------
    workers: int = field(
        default=1,
        metadata=_option(
            "number of worker processes", minimum=1, maximum=1024, group="processes and threads", kind=Kind.INT
        ),
    )
    threads: int = field(
        default=1,
        metadata=_option(
            "reactor (io_uring) threads per worker",
            flags=("--runtime-threads", "--threads"),
            minimum=1,
            maximum=1024,
            group="processes and threads",
            kind=Kind.INT,
        ),
    )
    runtime_mode: RuntimeModes = field(
        default=RuntimeModes.MT,
        metadata=_option(
            "mt: reactor threads hand requests to the asyncio loop's thread; st: the one reactor runs on the loop's"
            " thread, one thread per worker (ASGI only, needs --runtime-threads 1)",
            group="processes and threads",
            enum=RuntimeModes,
        ),
    )
    blocking_threads: int | None = field(
        default=None,
        metadata=_option(
            "Python threads running WSGI requests, per worker (default: chosen by the server)",
            minimum=1,
            maximum=4096,
            group="processes and threads",
            kind=Kind.INT,
        ),
    )
    pin_threads: bool = field(
        default=False,
        metadata=_option("pin each reactor thread to one CPU", group="processes and threads", kind=Kind.BOOL),
    )
    tune_allocator: bool = field(
        default=True,
        metadata=_option(
            "tune glibc malloc in each worker for large bodies: a fixed 32 MiB mmap threshold, a 64 MiB trim"
            " threshold, 2 arenas (a MALLOC_* or GLIBC_TUNABLES setting of your own wins)",
            group="processes and threads",
            kind=Kind.BOOL,
        ),
    )
    io_backend: IoBackends | None = field(
        default=None,
        metadata=_option(
            f"I/O backend: io_uring, epoll, or auto (io_uring, and epoll where io_uring is refused, as in"
            f" containers' default seccomp profiles) [default: ${IO_BACKEND_ENV}, else auto]",
            group="processes and threads",
            enum=IoBackends,
        ),
    )
    loop: Loops = field(
        default=Loops.AUTO,
        metadata=_option(
            "event loop implementation (auto: uvloop when installed)", group="processes and threads", enum=Loops
        ),
    )
    backpressure: int | None = field(
        default=None,
        metadata=_option(
            "maximum number of concurrent requests per worker (default: no limit)",
            minimum=1,
            group="processes and threads",
            kind=Kind.INT,
        ),
    )
    # --- application -----------------------------------------------------------------------------------------
    lifespan: bool = field(
        default=True,
        metadata=_option("run the ASGI lifespan protocol (startup/shutdown)", group="application", kind=Kind.BOOL),
    )
    factory: bool = field(
        default=False,
        metadata=_option(
            "APP is a factory: call it without arguments to get the application", group="application", kind=Kind.BOOL
        ),
    )
    url_path_prefix: str | None = field(
        default=None,
        metadata=_option(
            "URL path prefix the app is mounted on (ASGI root_path)", metavar="PREFIX", group="application"
        ),
    )
    working_dir: str | None = field(
        default=None,
        metadata=_option(
            "change to this directory before loading --env-files and importing the app",
            metavar="DIR",
            group="application",
        ),
    )
    env_files: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "dotenv file whose variables are set before the app is imported, unless already set"
            " (repeat the option for several; later files do not override earlier ones)",
            metavar="FILE",
            group="application",
            kind=Kind.LIST,
        ),
    )
    # --- logging ---------------------------------------------------------------------------------------------
    log: bool = field(
        default=True,
        metadata=_option(
            "log at all (--no-log: the uring_granian loggers, access log included, write nothing)",
            group="logging",
            kind=Kind.BOOL,
        ),
    )
    log_level: LogLevels = field(
        default=LogLevels.INFO,
        metadata=_option("log level of the uring_granian loggers", group="logging", enum=LogLevels),
    )
    log_config: str | None = field(
        default=None,
        metadata=_option(
            "logging configuration file (JSON, logging.config.dictConfig schema)", metavar="FILE", group="logging"
        ),
    )
    access_log: bool = field(
        default=False,
        metadata=_option("log every request to the uring_granian.access logger", group="logging", kind=Kind.BOOL),
    )
    access_log_fmt: str | None = field(
        default=None,
        metadata=_option(
            "access log format (Granian's atoms, e.g. %(addr)s %(status)d)", metavar="FORMAT", group="logging"
        ),
    )
    # --- proxies ---------------------------------------------------------------------------------------------
    proxy_headers: bool = field(
        default=False,
        metadata=_option(
            "take the client address, scheme and host from Forwarded / X-Forwarded-For, -Proto, -Host "
            "when the peer is a trusted proxy (--forwarded-allow-ips)",
            group="application",
            kind=Kind.BOOL,
        ),
    )
    forwarded_allow_ips: str = field(
        default="127.0.0.1",
        metadata=_option(
            "comma-separated addresses or networks of trusted proxies, or * for any", metavar="IPS", group="application"
        ),
    )
    http: HTTPModes = field(
        default=HTTPModes.AUTO,
        metadata=_option(
            "HTTP version: auto (HTTP/2 by ALPN on TLS and by its client preface on plain TCP, else HTTP/1), 1 or 2",
            group="listening",
            enum=HTTPModes,
        ),
    )
    # --- HTTP/1 ----------------------------------------------------------------------------------------------
    http1_keep_alive: bool = field(
        default=True,
        metadata=_option("keep HTTP/1.1 connections alive between requests", group="HTTP/1", kind=Kind.BOOL),
    )
    http1_header_read_timeout: int = field(
        default=30000,
        metadata=_option(
            "time allowed to receive a request's head, in milliseconds",
            minimum=1,
            maximum=3_600_000,
            metavar="MS",
            group="HTTP/1",
            kind=Kind.INT,
        ),
    )
    http1_max_request_line: int = field(
        default=8192,
        metadata=_option(
            "maximum request line length, in bytes (414 above)",
            minimum=64,
            maximum=1 << 20,
            metavar="BYTES",
            group="HTTP/1",
            kind=Kind.INT,
        ),
    )
    http1_max_headers_size: int = field(
        default=16384,
        metadata=_option(
            "maximum size of all request headers, in bytes (431 above)",
            minimum=256,
            maximum=1 << 24,
            metavar="BYTES",
            group="HTTP/1",
            kind=Kind.INT,
        ),
    )
    http1_max_headers: int = field(
        default=100,
        metadata=_option(
            "maximum number of request headers (431 above)",
            minimum=1,
            maximum=10_000,
            metavar="COUNT",
            group="HTTP/1",
            kind=Kind.INT,
        ),
    )
    http1_max_body_size: int = field(
        default=1 << 30,
        metadata=_option(
            "maximum request body size, in bytes; 0: no limit (413 above)",
            minimum=0,
            maximum=1 << 62,
            metavar="BYTES",
            group="HTTP/1",
            kind=Kind.INT,
        ),
    )
    # --- HTTP/2 (Granian's names and defaults) -----------------------------------------------------------------
    http2_adaptive_window: bool = field(
        default=False,
        metadata=_option(
            "grow the HTTP/2 receive windows from a bandwidth-delay estimate (PING round trips), up to 16 MiB",
            group="HTTP/2",
            kind=Kind.BOOL,
        ),
    )
    http2_initial_connection_window_size: int = field(
        default=1024 * 1024,
        metadata=_option(
            "request body bytes a client may send on a connection before the server gives window back",
            minimum=65_535,
            maximum=(1 << 31) - 1,
            metavar="BYTES",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_initial_stream_window_size: int = field(
        default=1024 * 1024,
        metadata=_option(
            "request body bytes a client may send on one stream before the application consumed them",
            minimum=1,
            maximum=(1 << 31) - 1,
            metavar="BYTES",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_keep_alive_interval: int | None = field(
        default=None,
        metadata=_option(
            "send a PING on a connection idle this long, in milliseconds (default: never)",
            minimum=1,
            maximum=86_400_000,
            metavar="MS",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_keep_alive_timeout: int = field(
        default=20,
        metadata=_option(
            "close the connection when a keep-alive PING goes unanswered this long, in seconds",
            minimum=1,
            maximum=86_400,
            metavar="SECONDS",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_max_concurrent_streams: int = field(
        default=200,
        metadata=_option(
            "streams a client may have open on one connection at once",
            minimum=1,
            maximum=(1 << 31) - 1,
            metavar="COUNT",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_max_frame_size: int = field(
        default=16 * 1024,
        metadata=_option(
            "largest frame payload the server accepts, in bytes",
            minimum=16_384,
            maximum=16_777_215,
            metavar="BYTES",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_max_headers_size: int = field(
        default=16 * 1024 * 1024,
        metadata=_option(
            "the header list size the server advertises, in bytes (--http1-max-headers-size still applies)",
            minimum=1,
            maximum=(1 << 32) - 1,
            metavar="BYTES",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    http2_max_send_buffer_size: int = field(
        default=400 * 1024,
        metadata=_option(
            "response bytes framed ahead of the socket per connection, in bytes",
            minimum=1,
            maximum=(1 << 32) - 1,
            metavar="BYTES",
            group="HTTP/2",
            kind=Kind.INT,
        ),
    )
    # --- WebSocket (uvicorn's names; --ws/--no-ws is Granian's) ------------------------------------------------
    ws: bool = field(
        default=True,
        metadata=_option(
            "serve WebSocket upgrades to ASGI apps (off: they are plain HTTP requests; never under WSGI)",
            group="WebSocket",
            kind=Kind.BOOL,
        ),
    )
    ws_max_size: int = field(
        default=16 * 1024 * 1024,
        metadata=_option(
            "maximum WebSocket message size, in bytes (a larger message closes the connection with 1009)",
            minimum=1,
            maximum=1 << 40,
            metavar="BYTES",
            group="WebSocket",
            kind=Kind.INT,
        ),
    )
    ws_per_message_deflate: bool = field(
        default=True,
        metadata=_option(
            "compress WebSocket messages with permessage-deflate when the client offers it (every browser does)",
            group="WebSocket",
            kind=Kind.BOOL,
        ),
    )
    ws_ping_interval: float = field(
        default=20.0,
        metadata=_option(
            "seconds a WebSocket peer may stay silent before it is pinged; 0: never ping",
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
            group="WebSocket",
            kind=Kind.FLOAT,
        ),
    )
    ws_ping_timeout: float = field(
        default=20.0,
        metadata=_option(
            "seconds a ping may go unanswered before the connection is closed with 1011; 0: wait forever",
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
            group="WebSocket",
            kind=Kind.FLOAT,
        ),
    )
    # --- HTTPS -----------------------------------------------------------------------------------------------
    ssl_certificate: str | None = field(
        default=None,
        metadata=_option(
            "serve HTTPS with this PEM certificate chain (the server's certificate first; needs --ssl-keyfile)",
            metavar="FILE",
            group="HTTPS",
        ),
    )
    ssl_keyfile: str | None = field(
        default=None, metadata=_option("PEM private key of --ssl-certificate", metavar="FILE", group="HTTPS")
    )
    ssl_keyfile_password: str | None = field(
        default=None, metadata=_option("password of an encrypted --ssl-keyfile", metavar="PASSWORD", group="HTTPS")
    )
    ssl_protocol_min: str = field(
        default="tls1.2",
        metadata=_option("oldest TLS version accepted", choices=TLS_PROTOCOLS, metavar="VERSION", group="HTTPS"),
    )
    ssl_ca: str | None = field(
        default=None,
        metadata=_option(
            "PEM CAs signing client certificates: a certificate is asked for and checked if sent",
            metavar="FILE",
            group="HTTPS",
        ),
    )
    ssl_client_verify: bool = field(
        default=False,
        metadata=_option("require a client certificate signed by --ssl-ca (mutual TLS)", group="HTTPS", kind=Kind.BOOL),
    )
    ssl_crl: str | None = field(
        default=None,
        metadata=_option(
            "PEM CRLs checked against client certificates (needs --ssl-ca)", metavar="FILE", group="HTTPS"
        ),
    )
    # --- worker lifecycle ------------------------------------------------------------------------------------
    respawn_failed_workers: bool = field(
        default=False,
        metadata=_option(
            "start a new worker when one dies (else the server stops)", group="worker lifecycle", kind=Kind.BOOL
        ),
    )
    workers_kill_timeout: int | None = field(
        default=None,
        metadata=_option(
            "seconds to wait, after the graceful timeout, before killing a worker that has not stopped",
            minimum=1,
            maximum=1800,
            metavar="SECONDS",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    graceful_timeout: int = field(
        default=30,
        metadata=_option(
            "seconds allowed for in-flight requests to finish on stop",
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    respawn_interval: float = field(
        default=1.0,
        metadata=_option(
            "seconds to wait before starting a replacement for a worker that died",
            minimum=0,
            maximum=3600,
            metavar="SECONDS",
            group="worker lifecycle",
            kind=Kind.FLOAT,
        ),
    )
    workers_lifetime: int | None = field(
        default=None,
        metadata=_option(
            "replace each worker gracefully once it is this many seconds old, one at a time (default: never)",
            minimum=1,
            maximum=365 * 86_400,
            metavar="SECONDS",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    workers_max_rss: int | None = field(
        default=None,
        metadata=_option(
            "replace a worker gracefully when its resident memory exceeds this many MiB (sampled every second)",
            minimum=1,
            maximum=1 << 30,
            metavar="MIB",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    workers_max_requests: int | None = field(
        default=None,
        metadata=_option(
            "replace a worker gracefully once it has served this many requests, one at a time (default: never)",
            minimum=1,
            maximum=1 << 62,
            metavar="COUNT",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    workers_max_requests_jitter: int = field(
        default=0,
        metadata=_option(
            "add a random 0..JITTER to each worker's --workers-max-requests, so workers are not replaced together",
            minimum=0,
            maximum=1 << 62,
            metavar="JITTER",
            group="worker lifecycle",
            kind=Kind.INT,
        ),
    )
    pid_file: str | None = field(
        default=None,
        metadata=_option(
            "write the server's process id to this file at start and remove it at exit;"
            " refuse to start while it names a running process",
            metavar="PATH",
            group="worker lifecycle",
        ),
    )
    process_name: str | None = field(
        default=None,
        metadata=_option(
            "process name shown by ps -o comm, top and pgrep (workers get NAME-wN); at most 15 bytes are kept",
            metavar="NAME",
            group="worker lifecycle",
        ),
    )
    # --- development -----------------------------------------------------------------------------------------
    reload: bool = field(
        default=False,
        metadata=_option(
            "restart the worker when a .py file under the app's directory changes (runs one worker, like uvicorn)",
            group="development",
            kind=Kind.BOOL,
        ),
    )
    reload_paths: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "directory to watch for --reload instead of the app's directory (repeat the option for several)",
            metavar="PATH",
            group="development",
            kind=Kind.LIST,
        ),
    )
    # --- static files (served by the engine; never reach the app) -----------------------------------------
    static_path_route: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "URL path under which the --static-path-mount given in the same position is served (repeat the option"
            " for several mounts; the longest route that matches wins); one mount alone defaults to /static",
            metavar="ROUTE",
            group="static files",
            kind=Kind.LIST,
        ),
    )
    static_path_mount: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "serve the files of this directory under its --static-path-route from the engine, without calling the"
            " app (repeat the option for several mounts)",
            metavar="DIRECTORY",
            group="static files",
            kind=Kind.LIST,
        ),
    )
    static_path_dir_to_file: str | None = field(
        default=None,
        metadata=_option(
            "serve this file of a requested directory (e.g. index.html); without it a directory is 404",
            metavar="NAME",
            group="static files",
        ),
    )
    static_path_expires: int = field(
        default=86400,
        metadata=_option(
            "Cache-Control max-age of static files, in seconds; 0 sends none",
            minimum=0,
            maximum=(1 << 32) - 1,
            metavar="SECONDS",
            group="static files",
            kind=Kind.INT,
        ),
    )
    # --- metrics ---------------------------------------------------------------------------------------------
    metrics: bool = field(
        default=False,
        metadata=_option(
            "serve Prometheus metrics of the workers from the supervisor process", group="metrics", kind=Kind.BOOL
        ),
    )
    metrics_address: str = field(
        default="127.0.0.1", metadata=_option("address of the metrics endpoint", metavar="ADDRESS", group="metrics")
    )
    metrics_port: int = field(
        default=9090,
        metadata=_option(
            "port of the metrics endpoint", minimum=0, maximum=65535, metavar="PORT", group="metrics", kind=Kind.INT
        ),
    )

    # -----------------------------------------------------------------------------------------------------------
    @classmethod
    def from_options(cls, **kwargs: Any) -> Config:
        """Build from keyword options (field names); strings for enum fields are converted. Unknown → ConfigError."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name, value in kwargs.items():
            if name not in known:
                raise ConfigError(f"unknown option {name!r}")
            values[name] = _coerce(known[name], value)
        if values.get("app") is None:
            raise ConfigError("an application is required (module:attr, or an ASGI callable)")
        return cls(**values)

    def replace(self, **changes: Any) -> Config:
        return Config.from_options(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """Field name -> value (enums as their strings); JSON-safe when app is an import string."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        return cls.from_options(**data)

    def resolved_io_backend(self) -> IoBackends:
        """--io-backend, else $URING_GRANIAN_IO_BACKEND, else auto. A bad value is a ConfigError naming its source."""
        if self.io_backend is not None:
            return IoBackends(self.io_backend)  # converted (and checked) by from_options
        text = os.environ.get(IO_BACKEND_ENV, "").strip()
        if not text:
            return IoBackends.AUTO
        try:
            return IoBackends(text)
        except ValueError:
            raise ConfigError(f"{IO_BACKEND_ENV}: expected one of {', '.join(IoBackends)}, got {text!r}") from None

    def validate(self) -> Config:
        """Check every value and their combinations; raises ConfigError with one line. Returns self."""
        for f in dataclasses.fields(self):
            _check_bounds(f, getattr(self, f.name))
        self.resolved_io_backend()
        if self.proxy_headers:
            from .proxy_headers import parse_trusted

            try:
                parse_trusted(self.forwarded_allow_ips)
            except ValueError as exc:
                raise ConfigError(f"{flag_of('forwarded_allow_ips')}: {exc}") from None
        if not isinstance(self.app, str) and not callable(self.app):
            raise ConfigError(f"the application must be an import string or a callable, not {type(self.app).__name__}")
        if isinstance(self.app, str) and not self.app.strip():
            raise ConfigError("the application import string is empty")
        if self.workers > 1 and not isinstance(self.app, str):
            raise ConfigError(
                "workers > 1 needs the application as an import string (module:attr) so each worker can import it"
            )
        if self.supervised and not isinstance(self.app, str):
            raise ConfigError(
                f"{self._supervisor_reason()} needs the application as an import string (module:attr):"
                " it runs in worker processes"
            )
        if self.runtime_mode == RuntimeModes.ST and self.threads != 1:
            raise ConfigError(
                f"{flag_of('runtime_mode')} st runs one reactor on the event loop's thread:"
                f" {flag_of('threads')} must be 1 (got {self.threads})"
            )
        if self.runtime_mode == RuntimeModes.ST and self.interface == Interfaces.WSGI:
            raise ConfigError(
                f"{flag_of('runtime_mode')} st needs an event loop to run the reactor on: it serves ASGI only"
                f" ({flag_of('interface')} wsgi runs with {flag_of('runtime_mode')} mt)"
            )
        if self.reload_paths is not None and not self.reload:
            raise ConfigError(f"{flag_of('reload_paths')} needs {flag_of('reload')}")
        for path in self.reload_paths or ():
            if not os.path.isdir(path):
                raise ConfigError(f"{flag_of('reload_paths')}: not a directory: {path}")
        if self.process_name is not None and not self.process_name.strip():
            raise ConfigError(f"{flag_of('process_name')} must not be empty")
        if self.factory and not isinstance(self.app, str):
            raise ConfigError("factory=True needs the application as an import string (module:factory)")
        if self.uds is None and self.uds_permissions is not None:
            raise ConfigError(f"{flag_of('uds_permissions')} needs {flag_of('uds')}")
        if self.uds is None and not self.host:
            raise ConfigError(f"{flag_of('host')} must not be empty")
        if self.port == 0 and self.uds is None and self.fd is None and self.workers > 1:
            raise ConfigError(f"{flag_of('port')} 0 (any free port) cannot be shared by several workers")
        if self.port == 0 and self.uds is None and self.fd is None and self.supervised:
            raise ConfigError(
                f"{flag_of('port')} 0 (any free port) cannot be used with {self._supervisor_reason()}:"
                " a replacement worker would listen elsewhere"
            )
        if self.url_path_prefix is not None and (
            not self.url_path_prefix.startswith("/") or self.url_path_prefix.endswith("/")
        ):
            raise ConfigError(
                f"{flag_of('url_path_prefix')} must start with '/' and not end with '/' (got {self.url_path_prefix!r})"
            )
        if self.workers_max_requests_jitter and self.workers_max_requests is None:
            raise ConfigError(f"{flag_of('workers_max_requests_jitter')} needs {flag_of('workers_max_requests')}")
        if self.working_dir is not None and not os.path.isdir(self.working_dir):
            raise ConfigError(f"{flag_of('working_dir')}: not a directory: {self.working_dir}")
        for path in self.env_files or ():
            # Relative to --working-dir, where they are read.
            if not os.path.isfile(os.path.join(self.working_dir or "", path)):
                raise ConfigError(f"{flag_of('env_files')}: no such file: {path}")
        if self.log_config is not None and not os.path.isfile(self.log_config):
            raise ConfigError(f"{flag_of('log_config')}: no such file: {self.log_config}")
        self._validate_tls()
        self._validate_static_files()
        return self

    def _validate_static_files(self) -> None:
        routes, mounts = self.static_path_route or (), self.static_path_mount or ()
        for route in routes:
            if not route.startswith("/") or any(c in route for c in "?#% ") or not route.isprintable():
                raise ConfigError(
                    f"{flag_of('static_path_route')} must be a URL path starting with '/'"
                    f" (no spaces, '?', '#' or '%'; got {route!r})"
                )
        if routes and not mounts:
            raise ConfigError(f"{flag_of('static_path_route')} needs {flag_of('static_path_mount')}")
        # Granian's pairing: by position, one route per mount; a single mount may leave its route to the default.
        if mounts and len(routes) != len(mounts) and not (len(mounts) == 1 and not routes):
            raise ConfigError(
                f"{flag_of('static_path_route')} and {flag_of('static_path_mount')} pair by position: got"
                f" {len(routes)} route(s) for {len(mounts)} mount(s)"
            )
        normalized = [route.rstrip("/") for route in routes]
        for route in normalized:
            if normalized.count(route) > 1:
                raise ConfigError(f"{flag_of('static_path_route')}: {route or '/'!r} is given more than once")
        for mount in mounts:
            if not os.path.isdir(mount):
                raise ConfigError(f"{flag_of('static_path_mount')}: not a directory: {mount}")
        name = self.static_path_dir_to_file
        if name is not None:
            if name in ("", ".", "..") or "/" in name or "\0" in name:
                raise ConfigError(f"{flag_of('static_path_dir_to_file')} must be a plain file name (got {name!r})")
            if not mounts:
                raise ConfigError(f"{flag_of('static_path_dir_to_file')} needs {flag_of('static_path_mount')}")

    def static_mounts(self) -> tuple[tuple[str, str], ...]:
        """(route, directory) pairs of the static mounts, in the order given (the engine sorts them)."""
        mounts = self.static_path_mount or ()
        routes = self.static_path_route or ("/static",) * len(mounts)
        return tuple(zip(routes, mounts, strict=True))

    def _validate_tls(self) -> None:
        """Combinations only: the files are read by the engine at startup, which reports what it cannot use."""
        if self.ssl_protocol_min not in TLS_PROTOCOLS:
            raise ConfigError(
                f"{flag_of('ssl_protocol_min')}: invalid choice {self.ssl_protocol_min!r}"
                f" (choose from {', '.join(TLS_PROTOCOLS)})"
            )
        for name in ("ssl_certificate", "ssl_keyfile", "ssl_keyfile_password", "ssl_ca", "ssl_crl"):
            if getattr(self, name) == "":
                raise ConfigError(f"{flag_of(name)} must not be empty")
        if (self.ssl_certificate is None) != (self.ssl_keyfile is None):
            pair = ("ssl_certificate", "ssl_keyfile")
            given, missing = pair if self.ssl_keyfile is None else reversed(pair)
            raise ConfigError(f"{flag_of(given)} needs {flag_of(missing)}")
        if not self.tls:
            for name in ("ssl_keyfile_password", "ssl_ca", "ssl_crl", "ssl_client_verify"):
                if getattr(self, name):
                    raise ConfigError(f"{flag_of(name)} needs {flag_of('ssl_certificate')}")
            if self.ssl_protocol_min != TLS_PROTOCOLS[0]:
                raise ConfigError(f"{flag_of('ssl_protocol_min')} needs {flag_of('ssl_certificate')}")
        for name in ("ssl_client_verify", "ssl_crl"):
            if getattr(self, name) and self.ssl_ca is None:
                raise ConfigError(f"{flag_of(name)} needs {flag_of('ssl_ca')}")

    @property
    def tls(self) -> bool:
        """Whether the server speaks HTTPS."""
        return self.ssl_certificate is not None

    @property
    def supervised(self) -> bool:
        """Whether workers run in child processes watched by a supervisor (else the server runs in this process)."""
        return self._supervisor_reason() != ""

    def _supervisor_reason(self) -> str:
        """The option that asks for a supervisor, as spelled on the command line ('' when none does)."""
        if self.workers > 1:
            return f"{flag_of('workers')} > 1"
        for name in ("reload", "metrics", "workers_lifetime", "workers_max_rss", "workers_max_requests"):
            if getattr(self, name):
                return flag_of(name)
        return ""

    @property
    def bind_description(self) -> str:
        """Where the server listens, for log lines: 'unix:/path' or 'http://host:port'."""
        if self.uds is not None:
            return f"unix:{self.uds}"
        if self.fd is not None:
            return f"inherited socket fd {self.fd}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def options() -> list[tuple[dataclasses.Field[Any], Option]]:
    """Every Config field with its Option, in declaration order."""
    return [(f, f.metadata[OPTION_KEY]) for f in dataclasses.fields(Config)]


def flag_of(name: str) -> str:
    """The main command-line spelling of a field (what error messages name)."""
    for f, opt in options():
        if f.name == name:
            return opt.flags[0] if opt.flags else "--" + name.replace("_", "-")
    raise KeyError(name)


def help_groups() -> dict[str, list[str]]:
    """Sections of `--help` in the order they first appear, each with its fields (the positional app in none)."""
    groups: dict[str, list[str]] = {}
    for f, opt in options():
        if opt.group:
            groups.setdefault(opt.group, []).append(f.name)
    return groups


def octal(text: str) -> int:
    """File permissions as chmod writes them: 660, 0660 or 0o660."""
    return int(text.removeprefix("0o"), 8)


_PARSERS: dict[Kind, Callable[[str], Any]] = {Kind.INT: int, Kind.FLOAT: float, Kind.OCTAL: octal}


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    opt: Option = f.metadata[OPTION_KEY]
    if opt.kind is Kind.LIST and isinstance(value, list | tuple):
        return tuple(value)  # lists from argparse's "append" and from JSON
    if opt.kind is Kind.LIST and isinstance(value, str):
        return (value,)  # serve(static_path_mount="dir"): one value where several may be given
    if opt.enum is None or value is None:
        return value
    try:
        return opt.enum(str(value).lower())
    except ValueError:
        raise ConfigError(f"{flag_of(f.name)}: invalid choice {value!r} (choose from {_listed(opt)})") from None


def plain(value: Any) -> Any:
    """A value as JSON and the command line spell it (an enum member as its string)."""
    return value.value if isinstance(value, StrEnum) else value


def _listed(opt: Option) -> str:
    return ", ".join(opt.choices or ())


def _check_bounds(f: dataclasses.Field[Any], value: Any) -> None:
    opt: Option = f.metadata[OPTION_KEY]
    if value is None or f.name == "app":
        return
    name = flag_of(f.name)
    if opt.enum is not None and value not in (opt.choices or ()):
        raise ConfigError(f"{name}: invalid choice {value!r} (choose from {_listed(opt)})")
    if opt.kind is Kind.BOOL and not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    if opt.kind is Kind.LIST and not (isinstance(value, tuple) and all(isinstance(item, str) for item in value)):
        raise ConfigError(f"{name} must be a list of strings, not {value!r}")
    if opt.kind is Kind.FLOAT and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(f"{name} must be a number, not {value!r}")
    if opt.kind in (Kind.INT, Kind.OCTAL) and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{name} must be an integer, not {value!r}")
    if opt.kind in (Kind.INT, Kind.OCTAL, Kind.FLOAT):
        if opt.minimum is not None and value < opt.minimum:
            raise ConfigError(f"{name} must be at least {_show(opt, opt.minimum)} (got {_show(opt, value)})")
        if opt.maximum is not None and value > opt.maximum:
            raise ConfigError(f"{name} must be at most {_show(opt, opt.maximum)} (got {_show(opt, value)})")
    if opt.kind is Kind.TEXT and not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {value!r}")


def _show(opt: Option, value: float) -> str:
    return oct(int(value)) if opt.kind is Kind.OCTAL else str(value)
