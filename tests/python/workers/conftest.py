"""Fixtures for the worker tests (helpers live in worker_processes.py, importable by the tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from worker_processes import HERE, RunningServer, free_port

# port_holders.py (who listens on a port) is shared with the engine's busy-port tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """start_server(*cli_args) -> a RunningServer whose supervisor has reported all workers ready.

    `ready`: the log line to wait for instead ("{pid}" is the server's), None for none; `cwd`: where it starts."""
    started: list[tuple[RunningServer, set[int]]] = []

    def start(
        *args: str,
        app: str = "pid_app:app",
        wait_ready: bool = True,
        ready: str | None = "Supervisor {pid} ready",
        cwd: Path = HERE,
    ) -> RunningServer:
        markers = tmp_path / f"markers-{len(started)}"
        markers.mkdir()
        log_path = tmp_path / f"server-{len(started)}.log"
        port = free_port()
        env = {**os.environ, "UG_TEST_MARKERS": str(markers)}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "uring_granian", "--port", str(port), "--graceful-timeout", "10", *args, app],
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(process, port, log_path, markers)
        started.append((server, set()))
        if wait_ready and ready is not None:
            server.wait_for_log(ready.format(pid=process.pid))
        started[-1] = (server, server.worker_pids())
        return server

    yield start

    for server, pids in started:
        server.tear_down(pids)
