"""Starts `python -m uring_granian` as a subprocess and waits until it accepts connections (no fixed sleeps).

Shared by tests/python/asgi, frameworks and leaks (the latter two put this folder on sys.path).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server; `url` is its base URL (TCP) and `uds` its socket path when started on a Unix socket."""

    def __init__(
        self,
        app: str,
        cwd: Path,
        *options: str,
        uds: str | None = None,
        env: dict[str, str] | None = None,
        program: list[str] | None = None,
    ):
        """program: what to run instead of this interpreter's `python -m uring_granian` (e.g. another venv's
        `uring-granian` console script)."""
        self.program = program or [sys.executable, "-m", "uring_granian"]
        self.app = app
        self.cwd = cwd
        self.options = list(options)
        self.uds = uds
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self._log = tempfile.NamedTemporaryFile(prefix="uring-granian-test-", suffix=".log", delete=False)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        where = ["--uds", self.uds] if self.uds else ["--host", "127.0.0.1", "--port", str(self.port)]
        command = [*self.program, *where, *self.options, self.app]
        self.process = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        self._wait_until_accepting()
        return self

    def _connect(self) -> socket.socket:
        if self.uds:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.uds)
            except OSError:
                sock.close()
                raise
            return sock
        return socket.create_connection(("127.0.0.1", self.port), timeout=1)

    def _wait_until_accepting(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode} before listening:\n{self.logs()}")
            try:
                self._connect().close()
                return
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"server did not accept connections within {STARTUP_TIMEOUT}s:\n{self.logs()}")

    def stop(self) -> int:
        """SIGTERM (graceful) and wait; returns the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"server did not stop within {STOP_TIMEOUT}s:\n{self.logs()}") from None
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """The logs once they contain `text` (the server may answer before it logs); AssertionError if never."""
        deadline = time.monotonic() + timeout
        while True:
            logs = self.logs()
            if text in logs:
                return logs
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged within {timeout}s:\n{logs}")
            time.sleep(0.02)

    def rss_kib(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        self.kill()
        self._log.close()
        os.unlink(self._log.name)

    def raw_request(self, data: bytes, timeout: float = 10.0, *, half_close: bool = False) -> bytes:
        """Sends raw bytes, returns everything read until the server closes (or the timeout).
        half_close: shut the write side after sending, as nc-like clients do."""
        sock = self._connect()
        sock.settimeout(timeout)
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            received = bytearray()
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return bytes(received)
                received += chunk
        finally:
            sock.close()
