"""Where a server listens: a Unix socket with its permissions, and systemd socket activation (LISTEN_FDS)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import WORKER_TESTS_DIR, RunningServer, free_port

pytestmark = pytest.mark.timeout(120)

# What systemd does between fork and exec, done by a tiny wrapper: the listening socket becomes descriptor 3 and
# LISTEN_PID names the process that will exec the server (exec keeps the pid).
ACTIVATION_WRAPPER = """
import os, sys
os.dup2(int(os.environ.pop("TEST_SOCKET_FD")), 3, inheritable=True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDNAMES"] = "http"
os.execv(sys.executable, [sys.executable, "-m", "uring_granian", *sys.argv[1:]])
"""


def test_unix_socket_gets_its_permissions_and_serves(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    path = tmp_path / "one.sock"
    server = launch("--uds", str(path), "--uds-permissions", "640")
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), timeout=10) as client:
        response = client.get("http://localhost/")
    assert response.status_code == 200 and int(response.text) == server.process.pid  # one process, no workers
    assert server.stop() == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_socket_activation_serves_on_the_passed_socket(launch: Callable[..., RunningServer], workers: int) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        server = launch(
            "--workers",
            str(workers),
            command=[sys.executable, "-c", ACTIVATION_WRAPPER],
            env={"TEST_SOCKET_FD": str(listener.fileno())},
            pass_fds=(listener.fileno(),),
            port=free_port(),  # only describes the socket: the server must not bind it
            ready="Supervisor {pid} ready" if workers > 1 else "Listening at",
        )
        assert "Socket activation: serving on fd 3" in server.log
        pids = {server.process.pid} if workers == 1 else server.worker_pids()
        with httpx.Client(timeout=10) as client:
            answered = client.get(f"http://127.0.0.1:{port}/")
            assert answered.status_code == 200 and int(answered.text) in pids
            # Consumed, as sd_listen_fds(unset_environment=1) does: a worker or the app's subprocess must not
            # believe descriptor 3 is a socket meant for it.
            for name in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
                assert client.get(f"http://127.0.0.1:{port}/env?{name}").text == "-"
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url("/"), timeout=2)  # nothing bound on --port
        assert server.stop() == 0


def test_socket_activation_meant_for_another_process_is_ignored(launch: Callable[..., RunningServer]) -> None:
    server = launch(env={"LISTEN_FDS": "1", "LISTEN_PID": str(os.getppid() or 1)})
    assert "Socket activation" not in server.log
    assert httpx.get(server.url("/"), timeout=10).status_code == 200
    assert httpx.get(server.url("/env?LISTEN_FDS"), timeout=10).text == "-"
    assert server.stop() == 0


def test_socket_activation_of_a_non_socket_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with (tmp_path / "not-a-socket").open("w") as regular_file:
        result = subprocess.run(
            [sys.executable, "-c", ACTIVATION_WRAPPER, "pid_app:app"],
            cwd=WORKER_TESTS_DIR,
            env={**os.environ, "TEST_SOCKET_FD": str(regular_file.fileno())},
            pass_fds=(regular_file.fileno(),),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["uring-granian: error: socket activation: descriptor 3 is not a socket"]
