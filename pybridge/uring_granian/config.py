"""Every option of the server, declared once.

`Config` is a frozen dataclass; each field carries an `Option` in its metadata (command-line flags, help, how to
parse a string, choices, bounds). The CLI (cli.py), `serve()` (main.py), the workers' hand-over (supervisor.py) and
`Config.validate()` are all derived from these declarations, so adding an option is adding one field here.
Names follow Granian's wherever Granian has the option.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import IO_BACKEND_ENV, Interfaces, IoBackends, LogLevels, Loops

__all__ = ["Config", "ConfigError", "Option", "options"]

OPTION_KEY = "uring_granian.option"

# Granian's --ssl-protocol-min values, oldest first.
TLS_PROTOCOLS = ("tls1.2", "tls1.3")


class ConfigError(ValueError):
    """An option has a bad value; str() is one line naming the option as it is spelled on the command line."""


@dataclass(frozen=True)
class Option:
    """How one Config field appears to users."""

    help: str
    flags: tuple[str, ...] = ()  # empty: derived from the field name (`--field-name`); ("APP",) style: positional
    parse: Callable[[str], Any] | None = None  # str -> value, for the CLI (argparse calls it; ValueError = bad)
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    minimum: int | None = None  # bounds for int fields, checked by Config.validate()
    maximum: int | None = None
    repeat: bool = False  # the flag may be given several times; the value is a tuple of the strings


def _option(help: str, **spec: Any) -> dict[str, Option]:
    """Field metadata declaring how the field appears to users."""
    return {OPTION_KEY: Option(help=help, **spec)}


def octal(text: str) -> int:
    """File permissions as chmod writes them: 660, 0660 or 0o660."""
    return int(text.removeprefix("0o"), 8)


def _choices(enum: type[Any]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


@dataclass(frozen=True)
class Config:
    app: str | Callable[..., Any] = field(
        default=None,
        metadata=_option(
            "the application to serve, as module:attr (also module:attr.sub; module alone means module:app)",
            flags=("APP",),
            metavar="APP",
        ),
    )
    # --- what and where ------------------------------------------------------------------------------------
    interface: Interfaces = field(
        default=Interfaces.ASGI, metadata=_option("application interface", choices=_choices(Interfaces))
    )
    host: str = field(default="127.0.0.1", metadata=_option("host address to bind to"))
    port: int = field(default=8000, metadata=_option("port to bind to", parse=int, minimum=0, maximum=65535))
    uds: str | None = field(
        default=None, metadata=_option("bind to this Unix domain socket path instead of host:port", metavar="PATH")
    )
    uds_permissions: int | None = field(
        default=None,
        metadata=_option(
            "permissions of the Unix socket file, in octal (e.g. 660)",
            parse=octal,
            minimum=0,
            maximum=0o777,
            metavar="OCTAL",
        ),
    )
    fd: int | None = field(
        default=None,
        metadata=_option(
            "serve on this already-listening socket descriptor, inherited from the parent process"
            " (host, port and uds then only describe it)",
            parse=int,
            minimum=0,
            metavar="FD",
        ),
    )
    backlog: int = field(
        default=1024,
        metadata=_option(
            "maximum number of pending connections per listening socket", parse=int, minimum=1, maximum=1 << 20
        ),
    )
    # --- processes and threads -----------------------------------------------------------------------------
    workers: int = field(default=1, metadata=_option("number of worker processes", parse=int, minimum=1, maximum=1024))
    threads: int = field(
        default=1,
        metadata=_option(
            "reactor (io_uring) threads per worker",
            flags=("--runtime-threads", "--threads"),
            parse=int,
            minimum=1,
            maximum=1024,
        ),
    )
    blocking_threads: int | None = field(
        default=None,
        metadata=_option(
            "Python threads running WSGI requests, per worker (default: chosen by the server)",
            parse=int,
            minimum=1,
            maximum=4096,
        ),
    )
    pin_threads: bool = field(default=False, metadata=_option("pin each reactor thread to one CPU"))
    io_backend: IoBackends | None = field(
        default=None,
        metadata=_option(
            f"I/O backend: io_uring, epoll, or auto (io_uring, and epoll where io_uring is refused, as in"
            f" containers' default seccomp profiles) [default: ${IO_BACKEND_ENV}, else auto]",
            choices=_choices(IoBackends),
        ),
    )
    loop: Loops = field(
        default=Loops.AUTO,
        metadata=_option("event loop implementation (auto: uvloop when installed)", choices=_choices(Loops)),
    )
    backpressure: int | None = field(
        default=None,
        metadata=_option("maximum number of concurrent requests per worker (default: no limit)", parse=int, minimum=1),
    )
    # --- application -----------------------------------------------------------------------------------------
    lifespan: bool = field(default=True, metadata=_option("run the ASGI lifespan protocol (startup/shutdown)"))
    factory: bool = field(
        default=False, metadata=_option("APP is a factory: call it without arguments to get the application")
    )
    url_path_prefix: str | None = field(
        default=None, metadata=_option("URL path prefix the app is mounted on (ASGI root_path)", metavar="PREFIX")
    )
    # --- logging ---------------------------------------------------------------------------------------------
    log_level: LogLevels = field(
        default=LogLevels.INFO, metadata=_option("log level of the uring_granian loggers", choices=_choices(LogLevels))
    )
    log_config: str | None = field(
        default=None,
        metadata=_option("logging configuration file (JSON, logging.config.dictConfig schema)", metavar="FILE"),
    )
    access_log: bool = field(default=False, metadata=_option("log every request to the uring_granian.access logger"))
    access_log_fmt: str | None = field(
        default=None,
        metadata=_option("access log format (Granian's atoms, e.g. %(addr)s %(status)d)", metavar="FORMAT"),
    )
    # --- proxies ---------------------------------------------------------------------------------------------
    proxy_headers: bool = field(
        default=False,
        metadata=_option(
            "take the client address, scheme and host from Forwarded / X-Forwarded-For, -Proto, -Host "
            "when the peer is a trusted proxy (--forwarded-allow-ips)"
        ),
    )
    forwarded_allow_ips: str = field(
        default="127.0.0.1",
        metadata=_option("comma-separated addresses or networks of trusted proxies, or * for any", metavar="IPS"),
    )
    # --- HTTP/1 ----------------------------------------------------------------------------------------------
    http1_keep_alive: bool = field(default=True, metadata=_option("keep HTTP/1.1 connections alive between requests"))
    http1_header_read_timeout: int = field(
        default=30000,
        metadata=_option(
            "time allowed to receive a request's head, in milliseconds",
            parse=int,
            minimum=1,
            maximum=3_600_000,
            metavar="MS",
        ),
    )
    http1_max_request_line: int = field(
        default=8192,
        metadata=_option(
            "maximum request line length, in bytes (414 above)", parse=int, minimum=64, maximum=1 << 20, metavar="BYTES"
        ),
    )
    http1_max_headers_size: int = field(
        default=16384,
        metadata=_option(
            "maximum size of all request headers, in bytes (431 above)",
            parse=int,
            minimum=256,
            maximum=1 << 24,
            metavar="BYTES",
        ),
    )
    http1_max_headers: int = field(
        default=100,
        metadata=_option(
            "maximum number of request headers (431 above)", parse=int, minimum=1, maximum=10_000, metavar="COUNT"
        ),
    )
    http1_max_body_size: int = field(
        default=1 << 30,
        metadata=_option(
            "maximum request body size, in bytes; 0: no limit (413 above)",
            parse=int,
            minimum=0,
            maximum=1 << 62,
            metavar="BYTES",
        ),
    )
    # --- WebSocket (uvicorn's names; --ws/--no-ws is Granian's) ------------------------------------------------
    ws: bool = field(
        default=True,
        metadata=_option("serve WebSocket upgrades to ASGI apps (off: they are plain HTTP requests; never under WSGI)"),
    )
    ws_max_size: int = field(
        default=16 * 1024 * 1024,
        metadata=_option(
            "maximum WebSocket message size, in bytes (a larger message closes the connection with 1009)",
            parse=int,
            minimum=1,
            maximum=1 << 40,
            metavar="BYTES",
        ),
    )
    ws_per_message_deflate: bool = field(
        default=True,
        metadata=_option(
            "compress WebSocket messages with permessage-deflate when the client offers it (every browser does)"
        ),
    )
    ws_ping_interval: float = field(
        default=20.0,
        metadata=_option(
            "seconds a WebSocket peer may stay silent before it is pinged; 0: never ping",
            parse=float,
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
        ),
    )
    ws_ping_timeout: float = field(
        default=20.0,
        metadata=_option(
            "seconds a ping may go unanswered before the connection is closed with 1011; 0: wait forever",
            parse=float,
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
        ),
    )
    # --- HTTPS -----------------------------------------------------------------------------------------------
    ssl_certificate: str | None = field(
        default=None,
        metadata=_option(
            "serve HTTPS with this PEM certificate chain (the server's certificate first; needs --ssl-keyfile)",
            metavar="FILE",
        ),
    )
    ssl_keyfile: str | None = field(
        default=None, metadata=_option("PEM private key of --ssl-certificate", metavar="FILE")
    )
    ssl_keyfile_password: str | None = field(
        default=None, metadata=_option("password of an encrypted --ssl-keyfile", metavar="PASSWORD")
    )
    ssl_protocol_min: str = field(
        default="tls1.2",
        metadata=_option("oldest TLS version accepted", choices=TLS_PROTOCOLS, metavar="VERSION"),
    )
    ssl_ca: str | None = field(
        default=None,
        metadata=_option(
            "PEM CAs signing client certificates: a certificate is asked for and checked if sent", metavar="FILE"
        ),
    )
    ssl_client_verify: bool = field(
        default=False, metadata=_option("require a client certificate signed by --ssl-ca (mutual TLS)")
    )
    ssl_crl: str | None = field(
        default=None, metadata=_option("PEM CRLs checked against client certificates (needs --ssl-ca)", metavar="FILE")
    )
    # --- worker lifecycle ------------------------------------------------------------------------------------
    respawn_failed_workers: bool = field(
        default=False, metadata=_option("start a new worker when one dies (else the server stops)")
    )
    workers_kill_timeout: int | None = field(
        default=None,
        metadata=_option(
            "seconds to wait, after the graceful timeout, before killing a worker that has not stopped",
            parse=int,
            minimum=1,
            maximum=1800,
            metavar="SECONDS",
        ),
    )
    graceful_timeout: int = field(
        default=30,
        metadata=_option(
            "seconds allowed for in-flight requests to finish on stop",
            parse=int,
            minimum=0,
            maximum=86_400,
            metavar="SECONDS",
        ),
    )
    respawn_interval: float = field(
        default=1.0,
        metadata=_option(
            "seconds to wait before starting a replacement for a worker that died",
            parse=float,
            minimum=0,
            maximum=3600,
            metavar="SECONDS",
        ),
    )
    workers_lifetime: int | None = field(
        default=None,
        metadata=_option(
            "replace each worker gracefully once it is this many seconds old, one at a time (default: never)",
            parse=int,
            minimum=1,
            maximum=365 * 86_400,
            metavar="SECONDS",
        ),
    )
    workers_max_rss: int | None = field(
        default=None,
        metadata=_option(
            "replace a worker gracefully when its resident memory exceeds this many MiB (sampled every second)",
            parse=int,
            minimum=1,
            maximum=1 << 30,
            metavar="MIB",
        ),
    )
    pid_file: str | None = field(
        default=None,
        metadata=_option(
            "write the server's process id to this file at start and remove it at exit;"
            " refuse to start while it names a running process",
            metavar="PATH",
        ),
    )
    process_name: str | None = field(
        default=None,
        metadata=_option(
            "process name shown by ps -o comm, top and pgrep (workers get NAME-wN); at most 15 bytes are kept",
            metavar="NAME",
        ),
    )
    # --- development -----------------------------------------------------------------------------------------
    reload: bool = field(
        default=False,
        metadata=_option(
            "restart the worker when a .py file under the app's directory changes (runs one worker, like uvicorn)"
        ),
    )
    reload_paths: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "directory to watch for --reload instead of the app's directory (repeat the option for several)",
            repeat=True,
            metavar="PATH",
        ),
    )
    # --- static files (served by the engine; never reach the app) -----------------------------------------
    static_path_route: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "URL path under which the --static-path-mount given in the same position is served (repeat the option"
            " for several mounts; the longest route that matches wins); one mount alone defaults to /static",
            repeat=True,
            metavar="ROUTE",
        ),
    )
    static_path_mount: tuple[str, ...] | None = field(
        default=None,
        metadata=_option(
            "serve the files of this directory under its --static-path-route from the engine, without calling the"
            " app (repeat the option for several mounts)",
            repeat=True,
            metavar="DIRECTORY",
        ),
    )
    static_path_dir_to_file: str | None = field(
        default=None,
        metadata=_option(
            "serve this file of a requested directory (e.g. index.html); without it a directory is 404",
            metavar="NAME",
        ),
    )
    static_path_expires: int = field(
        default=86400,
        metadata=_option(
            "Cache-Control max-age of static files, in seconds; 0 sends none",
            parse=int,
            minimum=0,
            maximum=(1 << 32) - 1,
            metavar="SECONDS",
        ),
    )
    # --- metrics ---------------------------------------------------------------------------------------------
    metrics: bool = field(
        default=False,
        metadata=_option("serve Prometheus metrics of the workers from the supervisor process"),
    )
    metrics_address: str = field(
        default="127.0.0.1", metadata=_option("address of the metrics endpoint", metavar="ADDRESS")
    )
    metrics_port: int = field(
        default=9090,
        metadata=_option("port of the metrics endpoint", parse=int, minimum=0, maximum=65535, metavar="PORT"),
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
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

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
            raise ConfigError(
                f"{IO_BACKEND_ENV}: expected one of {', '.join(_choices(IoBackends))}, got {text!r}"
            ) from None

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
        for name in ("reload", "metrics", "workers_lifetime", "workers_max_rss"):
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


# Sections of `--help`, in order; every option except the positional app belongs to exactly one.
HELP_GROUPS: dict[str, tuple[str, ...]] = {
    "listening": ("interface", "host", "port", "uds", "uds_permissions", "fd", "backlog"),
    "processes and threads": (
        "workers",
        "threads",
        "blocking_threads",
        "pin_threads",
        "io_backend",
        "loop",
        "backpressure",
    ),
    "application": ("lifespan", "factory", "url_path_prefix", "proxy_headers", "forwarded_allow_ips"),
    "logging": ("log_level", "log_config", "access_log", "access_log_fmt"),
    "HTTP/1": (
        "http1_keep_alive",
        "http1_header_read_timeout",
        "http1_max_request_line",
        "http1_max_headers_size",
        "http1_max_headers",
        "http1_max_body_size",
    ),
    "WebSocket": ("ws", "ws_max_size", "ws_per_message_deflate", "ws_ping_interval", "ws_ping_timeout"),
    "HTTPS": (
        "ssl_certificate",
        "ssl_keyfile",
        "ssl_keyfile_password",
        "ssl_protocol_min",
        "ssl_ca",
        "ssl_client_verify",
        "ssl_crl",
    ),
    "worker lifecycle": (
        "respawn_failed_workers",
        "workers_kill_timeout",
        "graceful_timeout",
        "respawn_interval",
        "workers_lifetime",
        "workers_max_rss",
        "pid_file",
        "process_name",
    ),
    "development": ("reload", "reload_paths"),
    "static files": ("static_path_route", "static_path_mount", "static_path_dir_to_file", "static_path_expires"),
    "metrics": ("metrics", "metrics_address", "metrics_port"),
}


def options() -> list[tuple[dataclasses.Field[Any], Option]]:
    """Every Config field with its Option, in declaration order."""
    return [(f, f.metadata[OPTION_KEY]) for f in dataclasses.fields(Config)]


def flag_of(name: str) -> str:
    """The main command-line spelling of a field (what error messages name)."""
    for f, opt in options():
        if f.name == name:
            return opt.flags[0] if opt.flags else "--" + name.replace("_", "-")
    raise KeyError(name)


def _enum_of(f: dataclasses.Field[Any]) -> type[Any] | None:
    return {"interface": Interfaces, "loop": Loops, "log_level": LogLevels, "io_backend": IoBackends}.get(f.name)


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    if f.metadata[OPTION_KEY].repeat and isinstance(value, list | tuple):
        return tuple(value)  # lists from argparse's "append" and from JSON
    if f.metadata[OPTION_KEY].repeat and isinstance(value, str):
        return (value,)  # serve(static_path_mount="dir"): one value where several may be given
    enum = _enum_of(f)
    if enum is None or value is None:
        return value
    try:
        return enum(str(value).lower())
    except ValueError:
        allowed = ", ".join(_choices(enum))
        raise ConfigError(f"{flag_of(f.name)}: invalid choice {value!r} (choose from {allowed})") from None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Interfaces | Loops | LogLevels | IoBackends) else value


def _check_bounds(f: dataclasses.Field[Any], value: Any) -> None:
    opt: Option = f.metadata[OPTION_KEY]
    if value is None or f.name == "app":
        return
    enum = _enum_of(f)
    if enum is not None and value not in _choices(enum):
        raise ConfigError(f"{flag_of(f.name)}: invalid choice {value!r} (choose from {', '.join(_choices(enum))})")
    default = f.default
    expects_bool = isinstance(default, bool)
    expects_int = opt.parse is int or opt.parse is octal
    if expects_bool and not isinstance(value, bool):
        raise ConfigError(f"{flag_of(f.name)} must be true or false, not {value!r}")
    if opt.parse is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{flag_of(f.name)} must be a number, not {value!r}")
        if opt.minimum is not None and value < opt.minimum:
            raise ConfigError(f"{flag_of(f.name)} must be at least {opt.minimum} (got {value})")
        if opt.maximum is not None and value > opt.maximum:
            raise ConfigError(f"{flag_of(f.name)} must be at most {opt.maximum} (got {value})")
    if opt.repeat and not (isinstance(value, tuple) and all(isinstance(item, str) for item in value)):
        raise ConfigError(f"{flag_of(f.name)} must be a list of strings, not {value!r}")
    if expects_int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{flag_of(f.name)} must be an integer, not {value!r}")
        if opt.minimum is not None and value < opt.minimum:
            raise ConfigError(f"{flag_of(f.name)} must be at least {_show(f, opt.minimum)} (got {_show(f, value)})")
        if opt.maximum is not None and value > opt.maximum:
            raise ConfigError(f"{flag_of(f.name)} must be at most {_show(f, opt.maximum)} (got {_show(f, value)})")
    is_text = isinstance(default, str) or f.name in {
        "uds",
        "url_path_prefix",
        "log_config",
        "access_log_fmt",
        "pid_file",
        "process_name",
        "ssl_certificate",
        "ssl_keyfile",
        "ssl_keyfile_password",
        "ssl_ca",
        "ssl_crl",
        "static_path_dir_to_file",
    }
    if is_text and not isinstance(value, str):
        raise ConfigError(f"{flag_of(f.name)} must be a string, not {value!r}")


def _show(f: dataclasses.Field[Any], value: int) -> str:
    opt: Option = f.metadata[OPTION_KEY]
    return oct(value) if opt.parse is octal else str(value)
