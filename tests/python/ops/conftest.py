"""Fixtures for the production-operations tests: real `python -m uring_granian` processes, looked at from outside.

The helpers and the app (pid_app.py) are the worker tests'; this folder only adds a launcher that can also start a
server in one process (no supervisor), in another directory, through a wrapper, or with extra environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WORKERS_TESTS = Path(__file__).parent.parent / "workers"
sys.path.insert(0, str(WORKERS_TESTS))

from worker_processes import RunningServer, free_port  # noqa: E402 - needs the path above

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """launch(*cli_args, app=..., ready=..., cwd=..., env=..., command=..., pass_fds=...) -> RunningServer.

    `ready` is the log line that means "serving" ("Listening at" for one process, the supervisor's line otherwise);
    `command` replaces `python -m uring_granian` (e.g. a wrapper that execs it). Every process a test started is
    stopped afterwards, by pid."""
    started: list[tuple[RunningServer, set[int]]] = []

    def start(
        *args: str,
        app: str = "pid_app:app",
        ready: str | None = "Listening at",
        cwd: Path = WORKERS_TESTS,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
        pass_fds: tuple[int, ...] = (),
        port: int | None = None,
    ) -> RunningServer:
        markers = tmp_path / f"markers-{len(started)}"
        markers.mkdir()
        log_path = tmp_path / f"server-{len(started)}.log"
        port = free_port() if port is None else port
        full_env = {**os.environ, "UG_TEST_MARKERS": str(markers), **(env or {})}
        argv = [*(command or [sys.executable, "-m", "uring_granian"])]
        argv += ["--port", str(port), "--graceful-timeout", "10", *args, app]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT, pass_fds=pass_fds
            )
        server = RunningServer(process, port, log_path, markers)
        started.append((server, set()))
        if ready is not None:
            server.wait_for_log(ready.format(pid=process.pid))
        started[-1] = (server, server.worker_pids())
        return server

    yield start

    for server, pids in started:
        server.tear_down(pids)
