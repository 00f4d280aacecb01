"""Every exception type of the package, pure Python (importable without the native module; the native module
raises StartupError, ClientDisconnected and ProtocolError), and which of them the CLI prints as one line."""

from __future__ import annotations

__all__ = [
    "ONE_LINE_ERRORS",
    "AppImportError",
    "ClientDisconnected",
    "ConfigError",
    "ProtocolError",
    "StartupError",
    "WorkerFailedError",
]


class StartupError(OSError):
    """The server could not start (io_uring refused, address in use, ...). str() is the one-line reason."""


class ClientDisconnected(OSError):
    """Raised by an ASGI send() once the client has gone: the response can no longer be delivered."""


class ProtocolError(RuntimeError):
    """The application broke the ASGI protocol (message order, types, invalid headers); the message names it."""


class ConfigError(ValueError):
    """An option has a bad value; str() is one line naming the option as it is spelled on the command line."""


class AppImportError(ImportError):
    """The application could not be loaded; str() is one line that names the target and the cause."""


class WorkerFailedError(RuntimeError):
    """A worker could not start; str() is the worker's own one-line error."""


# Errors whose str() is the whole story: the CLI prints them as one line and exits 1 (2 for ConfigError), and a
# worker sends them to its supervisor as its one-line error.
ONE_LINE_ERRORS: tuple[type[BaseException], ...] = (AppImportError, ConfigError, WorkerFailedError, StartupError)
