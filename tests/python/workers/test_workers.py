"""--workers N over real processes and sockets: spreading, respawn, graceful stop, SIGHUP rolling restart.

How the rolling-restart test counts failures (an honest client, not a lenient one):
- A request that gets a response other than 200, or a response that is cut, is a failure.
- A GET whose connection is closed or reset before any response byte arrived is retried once on a new connection, as
  HTTP/1.1 clients do for idempotent requests (RFC 9110 section 9.2.2): a stopping worker may close an idle keep-alive
  connection just as the client reuses it. But a client cannot tell that from a worker that dropped a request it
  was running, so every attempt carries a unique x-request-id and the app records the ids it receives: a retried
  attempt that had reached the app is a failure (a lost in-flight request). The retry itself must succeed.
- Requests go to /slow?0.02 so that there is nearly always a request in flight when a worker is stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import HERE, RequestLoop, RunningServer, assert_no_failed_request, wait_until

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

pytestmark = pytest.mark.timeout(120)



def pid_of(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.text)


def pids_answering(server: RunningServer, expected: set[int], attempts: int = 400) -> set[int]:
    """PIDs seen over fresh connections (SO_REUSEPORT spreads by 4-tuple), stopping once all `expected` answered."""
    seen: set[int] = set()
    for _ in range(attempts):
        seen.add(pid_of(httpx.get(server.url("/"), headers={"connection": "close"}, timeout=10)))
        if expected <= seen:
            break
    return seen


def test_two_workers_serve_from_two_pids(start_server: Callable[..., RunningServer]) -> None:
    server = start_server("--workers", "2")
    workers = server.worker_pids()
    assert len(workers) == 2
    assert pids_answering(server, workers) == workers
    with httpx.Client(timeout=10) as client:  # keep-alive: one connection, one worker
        assert len({pid_of(client.get(server.url("/"))) for _ in range(20)}) == 1


def test_unix_socket_is_shared_by_the_workers(start_server: Callable[..., RunningServer], tmp_path: Path) -> None:
    path = tmp_path / "ug.sock"
    server = start_server("--workers", "2", "--uds", str(path), "--uds-permissions", "660")
    workers = server.worker_pids()
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    seen: set[int] = set()
    for _ in range(400):
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), timeout=10) as client:
            seen.add(pid_of(client.get("http://localhost/")))
        if seen == workers:
            break
    assert seen == workers
    assert server.stop() == 0
    assert not path.exists()


def test_dead_worker_is_respawned(start_server: Callable[..., RunningServer]) -> None:
    server = start_server("--workers", "2", "--respawn-failed-workers")
    before = server.worker_pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    replacement = wait_until(
        lambda: (server.worker_pids() - before) if victim not in server.worker_pids() else set(),
        30,
        "a replacement worker",
    )
    (new_pid,) = replacement
    server.wait_for_log(f"(pid {new_pid}) ready")
    assert f"(pid {victim}) died (killed by SIGKILL); respawning" in server.log
    workers = server.worker_pids()
    assert workers == (before - {victim}) | {new_pid}
    assert pids_answering(server, workers) == workers
    assert server.process.poll() is None


def test_dead_worker_without_respawn_stops_the_server_with_failure(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2")
    before = server.worker_pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    assert server.process.wait(60) == 1
    assert f"(pid {victim}) died (killed by SIGKILL); stopping" in server.log
    assert server.worker_pids() == set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_finishes_in_flight_requests_and_runs_lifespan_shutdown(
    start_server: Callable[..., RunningServer], signum: int
) -> None:
    server = start_server("--workers", "2")
    workers = server.worker_pids()
    assert {p.name for p in server.markers.glob("startup-*")} == {f"startup-{pid}" for pid in workers}

    in_flight: dict[str, object] = {}

    def slow_request() -> None:
        try:
            in_flight["response"] = httpx.get(server.url("/slow?1"), timeout=30)
        except httpx.HTTPError as exc:
            in_flight["error"] = exc

    # /slow?1 sleeps one second inside the app; the stop signal arrives while it sleeps.
    thread = threading.Thread(target=slow_request)
    thread.start()
    wait_until(lambda: list(server.markers.glob("slow-*")), 10, "the slow request to reach the app")
    assert server.stop(signum) == 0, server.log
    thread.join(30)
    response = in_flight.get("response")
    assert isinstance(response, httpx.Response), f"in-flight request failed: {in_flight}"
    assert response.status_code == 200 and int(response.text) in workers
    assert {p.name for p in server.markers.glob("shutdown-*")} == {f"shutdown-{pid}" for pid in workers}
    assert server.worker_pids() == set()


def test_worker_that_cannot_stop_is_killed_after_graceful_and_kill_timeouts(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2", "--graceful-timeout", "1", "--workers-kill-timeout", "1")
    blocker = threading.Thread(target=lambda: _ignore_errors(lambda: httpx.get(server.url("/block?60"), timeout=90)))
    blocker.daemon = True
    blocker.start()
    (marker,) = wait_until(lambda: list(server.markers.glob("block-*")), 10, "the blocking request to reach the app")
    stuck = int(marker.name.removeprefix("block-"))
    started = time.monotonic()
    status = server.stop(signal.SIGTERM, timeout=30)
    elapsed = time.monotonic() - started
    assert status == 1, server.log  # a worker had to be killed: not a clean stop
    assert 2.0 <= elapsed < 10.0, elapsed  # graceful 1 s + kill timeout 1 s, then SIGKILL
    assert "Killing worker" in server.log and f"(pid {stuck})" in server.log
    assert server.worker_pids() == set()


def _ignore_errors(call: Callable[[], object]) -> None:
    try:
        call()
    except httpx.HTTPError:
        pass


def test_sighup_rolling_restart_under_requests_has_no_failed_request(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2")
    before = server.worker_pids()
    loops = [RequestLoop(server, keep_alive=True), RequestLoop(server, keep_alive=False)]
    for loop in loops:
        loop.start()
    wait_until(lambda: all(loop.outcomes["ok"] >= 20 for loop in loops), 20, "requests before the restart")

    server.process.send_signal(signal.SIGHUP)
    server.wait_for_log("Rolling restart done", timeout=60)
    after = server.worker_pids()
    served_before_end = [len(loop.pids_seen) for loop in loops]
    wait_until(
        lambda: all(len(loop.pids_seen) >= max(n + 50, 120) for loop, n in zip(loops, served_before_end, strict=True)),
        20,
        "requests after the restart",
    )
    for loop in loops:
        loop.halt.set()
        loop.join(30)

    assert_no_failed_request(loops, server.markers, "rolling restart")
    for loop in loops:
        assert loop.outcomes["ok"] >= 100
    assert len(after) == 2 and after.isdisjoint(before), (before, after)
    fresh = loops[1]
    assert set(fresh.pids_seen[-50:]) <= after  # only new workers answer at the end
    assert set(loops[0].pids_seen[-10:]) <= after  # the keep-alive client moved to a new worker too
    assert server.process.poll() is None
    assert server.stop() == 0


def test_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as holder:  # no SO_REUSEPORT: the engine's bind must fail
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for workers in ("1", "2"):
            proc = subprocess.run(
                [sys.executable, "-m", "uring_granian", "--workers", workers, "--port", str(port), "pid_app:app"],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
                cwd=HERE,
                env={**os.environ, "UG_TEST_MARKERS": str(tmp_path)},
            )
            errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
            assert proc.returncode == 1, proc.stderr
            assert len(errors) == 1 and errors[0].startswith("uring-granian: error: "), proc.stderr
            assert str(port) in errors[0] and "in use" in errors[0], proc.stderr
