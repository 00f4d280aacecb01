"""Starting and stopping the standalone `uring-serve` binary for end-to-end tests over real sockets.

The binary is build/uring-serve unless URING_SERVE names another (e.g. the ASan build in CI). Each server
is started on a free port, awaited on its readiness line (never a fixed sleep), and stopped with SIGTERM;
its exit code must be 0. Every socket operation has a timeout so a hang fails the test instead of blocking.
"""

from __future__ import annotations

import dataclasses
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
URING_SERVE = Path(os.environ.get("URING_SERVE", REPO_ROOT / "build" / "uring-serve"))
if not URING_SERVE.is_absolute():
    URING_SERVE = REPO_ROOT / URING_SERVE

HOST = "127.0.0.1"
READY_PREFIX = "uring-serve: listening on "
ERROR_PREFIX = "uring-serve: error:"
READY_TIMEOUT = 20.0  # generous: the ASan build starts slowly on a loaded 2-core machine
STOP_TIMEOUT = 20.0
SOCKET_TIMEOUT = 10.0
PORT_ATTEMPTS = 8

# Words in an io_uring start-up error that mean the kernel or a seccomp profile refused io_uring: the tests
# then skip with the server's own message rather than fail (or, worse, pass without running).
IO_URING_REFUSED_WORDS = ("eperm", "not permitted", "enosys", "not implemented", "disabled", "seccomp")


def free_port() -> int:
    """A port that was free a moment ago. Port 0 is not supported by uring-serve, so we pick one and retry
    on "address in use" (another process may take it between our close and the server's bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclasses.dataclass
class Server:
    """A running uring-serve process and how to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    uds: str | None
    ready_line: str
    stderr_lines: list[str]
    stopped: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def connect(self, timeout: float = SOCKET_TIMEOUT) -> socket.socket:
        if self.uds:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(self.uds)
        else:
            sock = socket.create_connection((HOST, self.port), timeout=timeout)
        return sock

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Signal the server and wait for it; returns the exit code (kills it and fails on a hang)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            pytest.fail(f"uring-serve did not exit within {timeout}s of signal {sig}; stderr:\n{self.stderr_text()}")
        self.stopped = True
        return code


def _drain_stderr(stream, lines: list[str]) -> None:
    """Keep reading the server's stderr so a chatty server never blocks on a full pipe."""
    for raw in iter(stream.readline, b""):
        lines.append(raw.decode(errors="replace").rstrip("\n"))
    stream.close()


def _wait_ready(process: subprocess.Popen[bytes], lines: list[str]) -> str | None:
    """Read stderr until the readiness line; None when the process printed an error line or exited."""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + READY_TIMEOUT
    pending = b""
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                return None
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode(errors="replace")
                lines.append(line)
                if line.startswith(READY_PREFIX):
                    if pending:
                        lines.append(pending.decode(errors="replace"))
                    return line
                if line.startswith(ERROR_PREFIX):
                    return None
    finally:
        selector.close()
    process.kill()
    process.wait(timeout=5)
    pytest.fail(f"uring-serve printed no readiness line within {READY_TIMEOUT}s; stderr:\n" + "\n".join(lines))


def server_command(port: int, *args: str, threads: int = 1, uds: str | None = None) -> list[str]:
    command = [str(URING_SERVE), "--host", HOST, "--port", str(port), "--threads", str(threads)]
    if uds:
        command += ["--uds", uds]
    return command + list(args)


def launch(
    *args: str, threads: int = 1, uds: str | None = None, port: int | None = None, wrapper: Sequence[str] = ()
) -> Server:
    """Start uring-serve and wait until it is ready. Skips when io_uring is refused on this machine. Without
    `port`, on a free port (retried when taken meanwhile); with it, on that port (0: the kernel picks) or the test
    fails. `wrapper` is an argv prefix that execs the server (e.g. no_io_uring.no_io_uring_prefix())."""
    if not URING_SERVE.exists():
        pytest.fail(f"{URING_SERVE} does not exist: run scripts/build (or set URING_SERVE)")
    error_line = ""
    for _ in range(PORT_ATTEMPTS if port is None else 1):
        chosen = free_port() if port is None else port
        lines: list[str] = []
        process = subprocess.Popen(
            [*wrapper, *server_command(chosen, *args, threads=threads, uds=uds)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        ready_line = _wait_ready(process, lines)
        if ready_line is not None:
            threading.Thread(target=_drain_stderr, args=(process.stderr, lines), daemon=True).start()
            # Port 0: the kernel's pick, as the readiness line reports it ("... http://H:P (N threads)").
            bound = chosen or int(ready_line.rsplit(" (", 1)[0].rsplit(":", 1)[1])
            return Server(process, bound, uds, ready_line, lines)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        rest = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        lines += rest.splitlines()
        error_line = next((line for line in lines if line.startswith(ERROR_PREFIX)), "\n".join(lines))
        lowered = error_line.lower()
        if "io_uring" in lowered and any(word in lowered for word in IO_URING_REFUSED_WORDS):
            pytest.skip(f"io_uring refused on this machine: {error_line}")
        if "in use" not in lowered or port is not None:
            pytest.fail(f"uring-serve failed to start (exit {process.returncode}):\n" + "\n".join(lines))
    pytest.fail(f"no free port after {PORT_ATTEMPTS} attempts; last error: {error_line}")


class ServerPool:
    """Starts servers with launch(*args, threads=, uds=, port=, wrapper=) and stops every one still running with
    SIGTERM,
    requiring exit code 0 (a test may stop one itself first and check the code on its own)."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    def __call__(
        self, *args: str, threads: int = 1, uds: str | None = None, port: int | None = None, wrapper: Sequence[str] = ()
    ) -> Server:
        server = launch(*args, threads=threads, uds=uds, port=port, wrapper=wrapper)
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        failures = []
        for server in self.servers:
            if server.stopped:
                continue
            code = server.stop()
            if code != 0:
                failures.append(f"{' '.join(server.process.args)} exited {code}:\n{server.stderr_text()}")
        if failures:
            pytest.fail("uring-serve did not stop cleanly on SIGTERM:\n" + "\n".join(failures))
