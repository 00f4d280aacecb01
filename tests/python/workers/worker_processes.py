"""Helpers for the worker tests: a real `python -m uring_granian` process tree, looked at from outside."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

HERE = Path(__file__).parent
WORKER_TESTS_DIR = HERE  # where pid_app.py is (servers run from here)
T = TypeVar("T")
# Errors that mean "the connection ended before any response byte": safe to retry an idempotent request.
RETRYABLE = (httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_pids(parent: int) -> set[int]:
    """PIDs whose parent is `parent` (from /proc; CONFIG_PROC_CHILDREN is not everywhere)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
        if int(fields[1]) == parent and fields[0] != "Z":
            found.add(int(entry))
    return found


def wait_until(condition: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy; fail the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    markers: Path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self) -> set[int]:
        return child_pids(self.process.pid)

    def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        def seen() -> bool:
            if self.process.poll() is not None and text not in self.log:
                pytest.fail(f"server exited ({self.process.returncode}) before logging {text!r}:\n{self.log}")
            return text in self.log

        wait_until(seen, timeout, f"{text!r} in the server log:\n{self.log}")

    def tear_down(self, pids: set[int]) -> None:
        """After a test: stop the server if it still runs, then kill the workers it had (`pids`) or has left.
        Only processes this test started are signalled, by pid."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in pids | self.worker_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server did not stop within {timeout} s after {signal.Signals(signum).name}:\n{self.log}")


class RequestLoop(threading.Thread):
    """GET /slow in a loop (keep-alive or a new connection each time), counting outcomes per the module docstring."""

    def __init__(self, server: RunningServer, keep_alive: bool) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.keep_alive = keep_alive
        self.name = "keep-alive" if keep_alive else "new-connection"
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self.retried_ids: list[str] = []
        self.pids_seen: list[int] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            for number in itertools.count():
                if self.halt.is_set():
                    return
                self.request(client, number)

    def request(self, client: httpx.Client, number: int) -> None:
        for attempt in (1, 2):
            request_id = f"{self.name}-{number}-{attempt}"
            headers = {"x-request-id": request_id}
            if not self.keep_alive:
                headers["connection"] = "close"
            try:
                response = client.get(self.server.url("/slow?0.02"), headers=headers)
            except RETRYABLE as exc:
                if attempt == 2:
                    self.failures.append(f"{request_id}: failed again after a retry: {exc!r}")
                else:
                    self.outcomes["retried"] += 1
                    self.retried_ids.append(request_id)
                continue
            except httpx.HTTPError as exc:
                self.failures.append(f"{request_id}: {exc!r}")
                return
            if response.status_code != 200 or not response.text.isdigit():
                self.failures.append(f"{request_id}: {response.status_code} {response.text[:80]!r}")
            else:
                self.outcomes["ok"] += 1
                self.pids_seen.append(int(response.text))
            return


def received_request_ids(markers: Path) -> set[str]:
    return {line for path in markers.glob("received-*") for line in path.read_text().split()}


def assert_no_failed_request(loops: list[RequestLoop], markers: Path, what: str) -> None:
    """Fails on any failed request, and on any retried attempt that had reached the app (a lost in-flight one)."""
    report = {loop.name: dict(loop.outcomes) for loop in loops}
    print(f"{what}: {report}")
    received = received_request_ids(markers)
    for loop in loops:
        lost_in_flight = [
            f"{rid}: reached the app, then the connection closed" for rid in loop.retried_ids if rid in received
        ]
        assert loop.failures + lost_in_flight == [], f"{report}: {(loop.failures + lost_in_flight)[:5]}"
