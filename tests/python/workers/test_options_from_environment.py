"""Options from URING_GRANIAN_* variables, end to end: the console script started with no option on its command line
listens where the environment says (the parsing itself is tested in tests/python/cli/test_environment.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from worker_processes import HERE, RunningServer, free_port

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

CONSOLE_SCRIPT = Path(sys.executable).parent / "uring-granian"


@pytest.fixture
def run_with_env(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """run_with_env(port, env, *argv, ready=...) -> a RunningServer started as `uring-granian *argv` with `env` added."""
    started: list[RunningServer] = []

    def start(port: int, env: dict[str, str], *argv: str, ready: str = "Listening at") -> RunningServer:
        markers = tmp_path / f"markers-{len(started)}"
        markers.mkdir()
        log_path = tmp_path / f"server-{len(started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(CONSOLE_SCRIPT), *argv],
                cwd=HERE,
                env={**os.environ, "UG_TEST_MARKERS": str(markers), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(process, port, log_path, markers)
        started.append(server)
        server.wait_for_log(ready.format(pid=process.pid))
        return server

    yield start
    for server in started:
        server.tear_down(server.worker_pids())


def test_the_port_and_the_app_come_from_the_environment(run_with_env: Callable[..., RunningServer]) -> None:
    port = free_port()
    server = run_with_env(port, {"URING_GRANIAN_PORT": str(port), "URING_GRANIAN_APP": "pid_app:app"})
    response = httpx.get(server.url("/"), timeout=10)
    assert response.status_code == 200 and int(response.text) == server.process.pid
    assert server.stop() == 0


def test_the_command_line_wins_and_the_environment_reaches_the_workers(
    run_with_env: Callable[..., RunningServer],
) -> None:
    port, unused = free_port(), free_port()
    env = {"URING_GRANIAN_PORT": str(unused), "URING_GRANIAN_WORKERS": "2"}
    server = run_with_env(port, env, "--port", str(port), "pid_app:app", ready="Supervisor {pid} ready")
    pids = {int(httpx.get(server.url("/"), timeout=10).text) for _ in range(40)}
    assert pids <= server.worker_pids() and len(server.worker_pids()) == 2
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{unused}/", timeout=5)
    assert server.stop() == 0


def test_a_bad_variable_is_one_line_and_exit_2() -> None:
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "pid_app:app"],
        cwd=HERE,
        env={**os.environ, "URING_GRANIAN_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "uring-granian: error: URING_GRANIAN_PORT: invalid int value: 'eighty' (see uring-granian --help)"
    ]
