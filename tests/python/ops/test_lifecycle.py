"""Worker lifecycle: pid file, process names, --workers-max-rss and --workers-lifetime replacements without a failed
request, --respawn-interval. Failed requests are counted as in the worker tests (worker_processes.RequestLoop)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import WORKER_TESTS_DIR, RequestLoop, RunningServer, assert_no_failed_request, wait_until

pytestmark = pytest.mark.timeout(120)

BASE_WORKER_RSS_MIB = 45  # a pid_app worker after start-up, measured (python, uvloop, the engine's rings)
MAX_RSS_MIB = BASE_WORKER_RSS_MIB + 80
GROW_MIB = 160  # one /grow puts a worker well above MAX_RSS_MIB


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def test_pid_file_is_written_refused_while_alive_and_removed(
    launch: Callable[..., RunningServer], tmp_path: Path
) -> None:
    pid_file = tmp_path / "server.pid"
    first = launch("--pid-file", str(pid_file))
    assert pid_file.read_text() == f"{first.process.pid}\n"

    second = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--port", "0", "--pid-file", str(pid_file), "pid_app:app"],
        cwd=WORKER_TESTS_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    assert second.stderr.strip().splitlines() == [
        f"uring-granian: error: --pid-file {pid_file}: process {first.process.pid} is running"
    ]
    assert pid_file.read_text() == f"{first.process.pid}\n"  # the refused server left it alone

    assert first.stop() == 0
    assert not pid_file.exists()


def test_stale_pid_file_is_replaced(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pid_file = tmp_path / "server.pid"
    pid_file.write_text(f"{gone.pid}\n")
    server = launch("--workers", "2", "--pid-file", str(pid_file), ready="Supervisor {pid} ready")
    assert pid_file.read_text() == f"{server.process.pid}\n"  # the supervisor's pid
    assert server.stop() == 0
    assert not pid_file.exists()


def test_process_name_is_what_ps_shows(launch: Callable[..., RunningServer]) -> None:
    server = launch("--workers", "2", "--process-name", "shop-api", ready="Supervisor {pid} ready")
    assert comm(server.process.pid) == "shop-api"
    assert sorted(comm(pid) for pid in server.worker_pids()) == ["shop-api-w1", "shop-api-w2"]
    assert server.stop() == 0


def test_long_process_name_keeps_the_worker_number(launch: Callable[..., RunningServer]) -> None:
    server = launch("--workers", "2", "--process-name", "a-very-long-service-name", ready="Supervisor {pid} ready")
    assert comm(server.process.pid) == "a-very-long-ser"  # the kernel keeps 15 bytes
    assert sorted(comm(pid) for pid in server.worker_pids()) == ["a-very-long-w1", "a-very-long-w2"]


def test_worker_above_max_rss_is_replaced_without_a_failed_request(launch: Callable[..., RunningServer]) -> None:
    server = launch("--workers-max-rss", str(MAX_RSS_MIB), ready="Supervisor {pid} ready")
    (before,) = server.worker_pids()
    loops = [RequestLoop(server, keep_alive=True), RequestLoop(server, keep_alive=False)]
    for loop in loops:
        loop.start()
    wait_until(lambda: all(loop.outcomes["ok"] >= 20 for loop in loops), 20, "requests before the growth")
    assert httpx.get(server.url(f"/grow?{GROW_MIB}"), timeout=30).text == str(before)

    server.wait_for_log(f"(pid {before}) uses", timeout=20)
    wait_until(lambda: before not in server.worker_pids() and len(server.worker_pids()) == 1, 30, "the replacement")
    (after,) = server.worker_pids()
    served = [len(loop.pids_seen) for loop in loops]
    wait_until(
        lambda: all(len(loop.pids_seen) >= n + 30 for loop, n in zip(loops, served, strict=True)), 20, "more requests"
    )
    for loop in loops:
        loop.halt.set()
        loop.join(30)
    assert_no_failed_request(loops, server.markers, "max-rss replacement")
    assert f"above --workers-max-rss {MAX_RSS_MIB} MiB; replacing it" in server.log
    assert set(loops[1].pids_seen[-10:]) == {after}
    assert server.stop() == 0


def test_workers_are_replaced_at_their_lifetime_without_a_failed_request(
    launch: Callable[..., RunningServer],
) -> None:
    server = launch("--workers", "2", "--workers-lifetime", "3", ready="Supervisor {pid} ready")
    first_generation = server.worker_pids()
    loops = [RequestLoop(server, keep_alive=True), RequestLoop(server, keep_alive=False)]
    for loop in loops:
        loop.start()
    # Two lifetimes: every worker of the first generation is replaced, one at a time.
    wait_until(lambda: server.log.count("reached its lifetime of 3s") >= 3, 40, "three lifetime replacements")
    for loop in loops:
        loop.halt.set()
        loop.join(30)
    assert_no_failed_request(loops, server.markers, "lifetime replacements")
    assert all(loop.outcomes["ok"] >= 50 for loop in loops)
    assert server.worker_pids().isdisjoint(first_generation)
    # Replacements go on every few seconds; between two of them there are exactly two workers.
    wait_until(lambda: len(server.worker_pids()) == 2, 10, "two workers between replacements")
    assert server.stop() == 0


def test_failed_worker_is_respawned_after_the_respawn_interval(launch: Callable[..., RunningServer]) -> None:
    server = launch(
        "--workers", "2", "--respawn-failed-workers", "--respawn-interval", "2", ready="Supervisor {pid} ready"
    )
    before = server.worker_pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    server.wait_for_log(f"(pid {victim}) died (killed by SIGKILL); respawning in 2s")
    assert len(server.worker_pids()) == 1
    (new_pid,) = wait_until(lambda: server.worker_pids() - before, 20, "the respawned worker")
    assert time.monotonic() - killed_at >= 1.9
    server.wait_for_log(f"Worker 1 (pid {new_pid}) ready")
    assert server.stop() == 0
