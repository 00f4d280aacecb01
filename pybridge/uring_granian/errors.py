"""Exceptions of the bridge. Pure Python (importable without the native module); the native module raises these."""

from __future__ import annotations

__all__ = ["ClientDisconnected", "ProtocolError", "StartupError"]


class StartupError(OSError):
    """The server could not start (io_uring refused, address in use, ...). str() is the one-line reason."""


class ClientDisconnected(OSError):
    """Raised by an ASGI send() once the client has gone: the response can no longer be delivered."""


class ProtocolError(RuntimeError):
    """The application broke the ASGI protocol (message order, types, invalid headers); the message names it."""
