"""A busy port stops `python -m uring_granian` with one line and exit 1, with one worker (the engine's own check)
or several (the supervisor's check before the first worker), whoever listens there: another uring_granian, or a
stranger with or without SO_REUSEPORT. Our own workers still share the port, each with its reactors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from port_holders import listening_sockets, sockets_of, stranger_listening
from worker_processes import HERE, RunningServer

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

pytestmark = pytest.mark.timeout(120)


def start_second(port: int, workers: int, markers: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "uring_granian", "--workers", str(workers), "--port", str(port), "pid_app:app"]
    env = {**os.environ, "UG_TEST_MARKERS": str(markers)}  # one worker runs its lifespan startup before binding
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, cwd=HERE, env=env, stdin=subprocess.DEVNULL
    )


def assert_refused(result: subprocess.CompletedProcess[str], port: int) -> None:
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert errors == [f"uring-granian: error: address http://127.0.0.1:{port} is already in use"], result.stderr
    assert "Traceback" not in result.stderr


def start_serving(start_server: Callable[..., RunningServer], workers: int, *args: str) -> RunningServer:
    """A server with `workers` workers, once it accepts (with one worker there is no supervisor to say so)."""
    if workers > 1:
        return start_server("--workers", str(workers), *args)
    server = start_server(*args, wait_ready=False)
    server.wait_for_log("Listening at")
    return server


def pids_answering(server: RunningServer, expected: set[int]) -> set[int]:
    """PIDs seen over new connections (SO_REUSEPORT spreads them by 4-tuple), until all `expected` answered."""
    seen: set[int] = set()
    for _ in range(400):
        response = httpx.get(server.url("/"), headers={"connection": "close"}, timeout=10)
        assert response.status_code == 200, response.text
        seen.add(int(response.text))
        if expected <= seen:
            break
    return seen


@pytest.mark.parametrize(("first_workers", "second_workers"), [(1, 1), (1, 2), (2, 1), (2, 2)])
def test_a_second_server_on_the_port_is_refused(
    start_server: Callable[..., RunningServer], tmp_path: Path, first_workers: int, second_workers: int
) -> None:
    first = start_serving(start_server, first_workers)
    serving = first.worker_pids() if first_workers > 1 else {first.process.pid}
    assert_refused(start_second(first.port, second_workers, tmp_path), first.port)
    # The first server keeps the port to itself, and all of it still answers.
    assert listening_sockets(first.port) <= sockets_of(*serving)
    assert pids_answering(first, serving) == serving
    assert first.stop() == 0


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("reuse_port", [True, False], ids=["stranger-with-SO_REUSEPORT", "stranger-without"])
def test_a_strangers_listener_is_refused(tmp_path: Path, workers: int, reuse_port: bool) -> None:
    with stranger_listening(reuse_port=reuse_port) as (port, stranger):
        assert_refused(start_second(port, workers, tmp_path), port)
        listeners = listening_sockets(port)
        assert len(listeners) == 1 and listeners <= sockets_of(stranger)


def test_each_worker_accepts_from_its_slot_socket_held_by_the_supervisor(
    start_server: Callable[..., RunningServer],
) -> None:
    # The supervisor binds one SO_REUSEPORT socket per worker slot and keeps it: a replaced worker's queue stays
    # for its replacement instead of being reset when the worker closes it. The two reactors of a worker share it.
    server = start_server("--workers", "2", "--threads", "2")
    workers = server.worker_pids()
    assert len(workers) == 2
    listeners = listening_sockets(server.port)
    assert len(listeners) == 2, listeners
    assert listeners <= sockets_of(server.process.pid)
    held = [listeners & sockets_of(pid) for pid in workers]
    assert all(len(sockets) == 1 for sockets in held) and held[0] != held[1], held
    assert pids_answering(server, workers) == workers
    assert server.stop() == 0
