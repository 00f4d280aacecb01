"""Names that options choose between; StrEnums so a value compares equal to its command-line spelling."""

from __future__ import annotations

from enum import StrEnum


class Interfaces(StrEnum):
    ASGI = "asgi"
    WSGI = "wsgi"


class HTTPModes(StrEnum):
    """--http (Granian's values): auto speaks HTTP/2 where the client asks for it (ALPN h2 on TLS, the h2c preface
    on plain TCP) and HTTP/1 otherwise; 1 and 2 speak that version alone."""

    AUTO = "auto"
    HTTP1 = "1"
    HTTP2 = "2"


class Loops(StrEnum):
    AUTO = "auto"  # uvloop when installed, else asyncio
    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


class RuntimeModes(StrEnum):
    """Granian's --runtime-mode: `mt` runs each reactor on a thread of its own, handing requests to the asyncio
    loop's thread; `st` runs the one reactor on the loop's thread (one thread per worker, no hand-off)."""

    MT = "mt"
    ST = "st"


class IoBackends(StrEnum):
    """The engine's I/O backends; `auto` probes io_uring at start-up and falls back to epoll where it is refused."""

    AUTO = "auto"
    IO_URING = "io_uring"
    EPOLL = "epoll"


# Chooses the backend when --io-backend is not given (a container image can set it).
IO_BACKEND_ENV = "URING_GRANIAN_IO_BACKEND"


class LogLevels(StrEnum):
    """Granian's spellings; `warn` is accepted as an alias of `warning`, `notset` lets the handlers decide."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    WARN = "warn"
    INFO = "info"
    DEBUG = "debug"
    NOTSET = "notset"


# Exit codes of the CLI and of worker processes (sysexits-like, kept small and stable).
EXIT_OK = 0
EXIT_FAILURE = 1  # startup failed (bad app, port busy, io_uring refused) or a worker died
EXIT_USAGE = 2  # bad command line (argparse's own code)
