"""`python -m uring_granian` where io_uring is refused as Docker 25+'s default seccomp profile refuses it (issue 13).

The servers run under build/no-io-uring (tests/tools/no_io_uring.c; io_uring_setup, io_uring_enter and
io_uring_register fail with EPERM). With the default backend (auto) every worker must say in one line that it fell
back to epoll and why, then serve: ASGI and WSGI over two workers, an ASGI WebSocket, HTTPS. With
`--io-backend io_uring` the server must refuse to start in one line. scripts/test also runs this folder with
URING_GRANIAN_IO_BACKEND=epoll, so the servers that must probe get URING_GRANIAN_IO_BACKEND=auto.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import trustme
from worker_processes import RunningServer, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from no_io_uring import (  # noqa: E402 - needs the path above
    assert_fallback_line,
    client_context,
    no_io_uring_prefix,
    websocket_echo_close_code,
    write_certificate,
)

pytestmark = pytest.mark.timeout(120)

HERE = Path(__file__).parent
AUTO = {"URING_GRANIAN_IO_BACKEND": "auto"}
INTERFACES = [("asgi", "no_io_uring_apps:asgi_app"), ("wsgi", "no_io_uring_apps:wsgi_app")]
FRESH_CONNECTIONS = 200  # SO_REUSEPORT spreads by 4-tuple: two workers both answer long before this

Launch = Callable[..., RunningServer]


@pytest.fixture(scope="module")
def command() -> list[str]:
    return [*no_io_uring_prefix(), sys.executable, "-m", "uring_granian"]


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


def start_supervised(launch: Launch, command: list[str], interface: str, app: str) -> RunningServer:
    return launch(
        "--interface", interface, "--workers", "2", app=app, ready="Supervisor {pid} ready", cwd=HERE, env=AUTO,
        command=command,
    )  # fmt: skip


def assert_each_worker_fell_back(server: RunningServer, workers: int) -> None:
    lines = [line for line in server.log.splitlines() if "I/O backend:" in line]
    assert len(lines) == workers, server.log
    for line in lines:
        assert_fallback_line(line)


def pids_answering(server: RunningServer, expected: set[int]) -> set[int]:
    """Worker PIDs seen over fresh connections, every answer checked, until all of `expected` answered."""
    seen: set[int] = set()
    with httpx.Client(timeout=10) as client:
        for _ in range(FRESH_CONNECTIONS):
            response = client.get(server.url("/"), headers={"connection": "close"})
            assert response.status_code == 200, response.text
            seen.add(int(response.text))
            if expected <= seen:
                break
    return seen


@pytest.mark.parametrize(("interface", "app"), INTERFACES)
def test_two_workers_fall_back_to_epoll_and_both_serve(launch: Launch, command: list[str], interface: str, app: str):
    server = start_supervised(launch, command, interface, app)
    workers = server.worker_pids()
    assert len(workers) == 2
    assert_each_worker_fell_back(server, 2)
    assert pids_answering(server, workers) == workers
    with httpx.Client(timeout=10) as client:  # keep-alive on epoll: one connection, many requests
        answers = {client.get(server.url("/")).text for _ in range(20)}
    assert len(answers) == 1 and int(answers.pop()) in workers


def test_asgi_websocket_on_epoll(launch: Launch, command: list[str]):
    server = start_supervised(launch, command, "asgi", "no_io_uring_apps:asgi_app")
    assert_each_worker_fell_back(server, 2)
    assert websocket_echo_close_code(f"ws://127.0.0.1:{server.port}/ws") == 1000


def test_asgi_https_on_epoll(launch: Launch, command: list[str], tls_ca: trustme.CA, tmp_path: Path):
    certificate_file, key_file = write_certificate(tls_ca, tmp_path)
    server = launch(
        "--interface", "asgi", "--ssl-certificate", str(certificate_file), "--ssl-keyfile", str(key_file),
        app="no_io_uring_apps:asgi_app", cwd=HERE, env=AUTO, command=command,
    )  # fmt: skip
    assert_each_worker_fell_back(server, 1)
    with httpx.Client(verify=client_context(tls_ca), timeout=10) as client:
        for _ in range(3):  # one TLS connection, kept alive
            response = client.get(f"https://127.0.0.1:{server.port}/")
            assert (response.status_code, response.text) == (200, str(server.process.pid))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_io_uring_required_fails_in_one_line(command: list[str], workers: str):
    env = {key: value for key, value in os.environ.items() if key != "URING_GRANIAN_IO_BACKEND"}
    result = subprocess.run(
        [*command, "--port", str(free_port()), "--workers", workers, "--io-backend", "io_uring",
         "no_io_uring_apps:asgi_app"],
        cwd=HERE, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("uring-granian: error: io_uring_setup was refused (EPERM)"), lines[0]
    assert "seccomp" in lines[0]
