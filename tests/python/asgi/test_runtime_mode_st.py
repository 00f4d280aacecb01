"""--runtime-mode st: the worker's one reactor runs on the asyncio loop's thread (pybridge/ST_RUNTIME.md).

The rest of the ASGI, WebSocket and leak suites run under st too with URING_GRANIAN_RUNTIME_MODE=st; these are the
checks that only mean something in st: no reactor thread exists, timers fire with no I/O to wake the loop, a stop
drains through the loop, and the combinations st cannot serve are refused at the command line.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from server_process import ServerProcess

HERE = Path(__file__).parent
BACKENDS = ["io_uring", "epoll"]
ST_LINE = "the reactor on the event loop's thread"
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"  # never finished: only the header-read timer can end it


def thread_names(pid: int) -> list[str]:
    return [Path(task, "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_serves_and_stops_gracefully_without_a_reactor_thread(
    start_server: Callable[..., ServerProcess], backend: str
) -> None:
    server = start_server("conformance_app:app", "--runtime-mode", "st", "--io-backend", backend)
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):  # the same keep-alive connection: each run re-arms the reader and the timers
            response = client.post("/echo", content=b"ping" * 1000)
            assert response.status_code == 200
            assert response.content == b"ping" * 1000
    assert server.process is not None
    names = thread_names(server.process.pid)
    assert not [name for name in names if name.startswith("reactor-")], names
    assert server.stop() == 0
    logs = server.logs()
    assert ST_LINE in logs and f"I/O backend: {backend}" in logs, logs


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_timer_fires_with_no_traffic(start_server: Callable[..., ServerProcess], backend: str) -> None:
    # Nothing arrives on the reactor's fd after the partial head: only the loop's call_later at the timer wheel's
    # deadline can run the reactor that closes the connection.
    server = start_server(
        "conformance_app:app", "--runtime-mode", "st", "--io-backend", backend, "--http1-header-read-timeout", "300"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(PARTIAL_HEAD)
        started = time.monotonic()
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
        elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 5.0, elapsed
    assert received == b"" or received.startswith(b"HTTP/1.1 408"), received
    assert server.stop() == 0


def test_a_stop_finishes_the_response_in_flight(start_server: Callable[..., ServerProcess]) -> None:
    # Larger than the loopback buffers take: the body leaves only as this client reads, across the stop.
    size = 32 * 1024 * 1024
    server = start_server("conformance_app:app", "--runtime-mode", "st")
    assert server.process is not None
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /big?%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
        received = bytearray(sock.recv(65536))  # the response has started: the request is in flight
        assert received.startswith(b"HTTP/1.1 200"), bytes(received)
        server.process.send_signal(signal.SIGTERM)
        server.wait_for_log("Stopping")
        while chunk := sock.recv(1 << 20):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert b"content-length: %d" % size in head.lower(), head
    assert len(body) == size and body.count(b"b") == size
    assert server.process.wait(30) == 0


def test_workers_under_a_supervisor_each_run_st(start_server: Callable[..., ServerProcess]) -> None:
    # Each worker accepts from its slot's socket, which the supervisor keeps: the accepts of a socket that is not
    # the reactor's own are single-shot and re-armed by the run that takes each connection.
    server = start_server("conformance_app:app", "--runtime-mode", "st", "--workers", "2")
    for _ in range(20):  # new connections each time, so both slots' sockets take some
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/scope").status_code == 200
    assert server.stop() == 0
    assert server.logs().count(ST_LINE) == 2, server.logs()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--runtime-threads", "2"], "--runtime-threads must be 1 (got 2)"),
        (["--interface", "wsgi"], "--runtime-mode st needs an event loop to run the reactor on: it serves ASGI only"),
    ],
)
def test_what_st_cannot_run_exits_2_with_one_line(options: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--runtime-mode", "st", *options, "conformance_app:app"],
        cwd=HERE,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
