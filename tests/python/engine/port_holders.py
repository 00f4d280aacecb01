"""Who holds a TCP port: a stranger's listener in its own process, and the listening sockets the kernel reports.

Shared by the engine's busy-port tests and the workers' (tests/python/workers puts this folder on sys.path).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Another server, as far as the kernel can tell: its own process, the same user. With SO_REUSEPORT it is the case
# the kernel would let a second SO_REUSEPORT listener join silently.
_STRANGER = """
import socket, sys
host, reuse_port = sys.argv[1], sys.argv[2] == "1"
sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if reuse_port:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind((host, 0))
sock.listen()
print(sock.getsockname()[1], flush=True)
sys.stdin.read()  # until the test closes our stdin
"""

TCP_LISTEN = "0A"  # the state column of /proc/net/tcp
TCP_TIME_WAIT = "06"


@contextmanager
def stranger_listening(host: str = "127.0.0.1", reuse_port: bool = True) -> Iterator[tuple[int, int]]:
    """A listener in a process of its own on a free port of `host`; yields (port, pid)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _STRANGER, host, "1" if reuse_port else "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().isdigit(), f"the stranger did not start: {line!r}"
        yield int(line), process.pid
    finally:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        process.wait(10)
        process.stdout.close()


def _sockets_on(port: int) -> Iterator[tuple[str, int]]:
    """(state, inode) of every TCP socket, IPv4 and IPv6, whose local port is `port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                yield fields[3], int(fields[9])


def listening_sockets(port: int) -> set[int]:
    """Inodes of every socket listening on `port` (any address)."""
    return {inode for state, inode in _sockets_on(port) if state == TCP_LISTEN}


def time_wait_count(port: int) -> int:
    """Connections in TIME_WAIT on local port `port` (they have no inode: counted, not named)."""
    return sum(1 for state, _ in _sockets_on(port) if state == TCP_TIME_WAIT)


def sockets_of(*pids: int) -> set[int]:
    """Inodes of the sockets the processes `pids` have open."""
    inodes = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for entry in os.listdir(fd_dir):
            try:
                target = os.readlink(fd_dir / entry)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(int(target[len("socket:[") : -1]))
    return inodes
