"""The supervisor's listening sockets: bound here once, inherited by the workers (one per worker slot for TCP)."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat

from ..config import Config
from ..errors import StartupError

__all__ = ["SlotSockets", "check_port_free"]


def check_port_free(config: Config) -> None:
    """TCP: fail here, once, when another server already listens on the port: SlotSockets sets SO_REUSEPORT, so
    without this check it would join another server's SO_REUSEPORT listener and silently share its connections.
    The engine's check, with its one-line error; the workers skip it (they adopt the sockets bound here)."""
    if config.uds is not None or config.fd is not None:
        return
    from .. import _native
    from ..http import EngineSettings

    _native.ensure_port_free(EngineSettings.from_config(config))


class SlotSockets:
    """Bind the address here, once, and let the workers inherit the listening sockets.

    TCP: one SO_REUSEPORT socket per worker slot (the kernel spreads new connections over them, as it would
    over sockets the workers bound themselves), held here until a stop begins (close_listening). A worker and its
    replacement accept from the same socket: the draining one stops accepting and what is queued stays for
    the new one, where closing a worker's own socket would reset the connections queued on it. (The other
    fix, net.ipv4.tcp_migrate_req=1, moves a closing socket's queue to its siblings, but it is a host-wide
    sysctl that needs root; perf/results/ has both measured, and one socket shared by all workers, which
    keeps the queue too, left the load on whichever worker woke first: 64 of 64 connections on one.)
    Unix: one socket for all workers, since a path can be bound by one socket only.
    --fd: none (every worker serves on the given socket).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._sockets: list[socket.socket] = []

    def bind(self, slots: int) -> None:
        if self.config.fd is not None:
            return
        if self.config.uds is not None:
            self._sockets = [self._bind_unix(self.config.uds)]
        else:
            self._sockets = [self._bind_tcp() for _ in range(slots)]

    def fd_of(self, index: int) -> int | None:
        """The inherited listening socket of worker slot `index` (1..N), or None (--fd: the given one)."""
        if not self._sockets:
            return None
        return self._sockets[(index - 1) % len(self._sockets)].fileno()

    def close_listening(self) -> None:
        """Close our copies, keeping a Unix socket's path: at a stop, before the workers drain.

        Each worker accepts what is queued on its own copy, then closes it, and the last close makes new
        connections refused at once. Held here until the workers exit, the sockets would go on queueing
        connections that nobody accepts, reset at the end.
        """
        for sock in self._sockets:
            sock.close()

    def close(self) -> None:
        self.close_listening()
        if self._sockets and self.config.uds is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.config.uds)
        self._sockets = []

    def _bind_unix(self, path: str) -> socket.socket:
        _remove_stale_unix_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            if self.config.uds_permissions is not None:
                os.chmod(path, self.config.uds_permissions)
            sock.listen(self.config.backlog)
        except OSError as exc:
            sock.close()
            raise StartupError(f"cannot listen on unix:{path}: {exc.strerror}") from exc
        return sock

    def _bind_tcp(self) -> socket.socket:
        """As the engine binds its own (first getaddrinfo answer, SO_REUSEADDR, SO_REUSEPORT, TCP_NODELAY inherited
        by accepted sockets); check_port_free made sure no other server listens there."""
        where = self.config.bind_description
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.config.host or None, self.config.port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
            )[0]
        except socket.gaierror as exc:
            raise StartupError(f'cannot resolve host "{self.config.host}": {exc.strerror}') from exc
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(address)
            sock.listen(self.config.backlog)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"address {where} is already in use") from exc
            raise StartupError(f"cannot listen on {where}: {exc.strerror}") from exc
        return sock


def _remove_stale_unix_socket(path: str) -> None:
    """Unlink a socket file left by a server that is gone; a live one means the address is in use."""
    if not os.path.exists(path):
        return
    if not stat.S_ISSOCK(os.stat(path).st_mode):
        raise StartupError(f"cannot listen on unix:{path}: the path exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # nobody listens: stale
            return
    raise StartupError(f"cannot listen on unix:{path}: address already in use")
