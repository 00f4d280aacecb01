"""Worker startup failures reach the user as the worker's own one-line error (no server needed to get there)."""

from __future__ import annotations

import subprocess
import sys

from worker_processes import HERE, child_pids


def test_bad_app_path_with_workers_exits_1_with_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--workers", "2", "--port", "8123", "ug_no_such_module:app"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=HERE,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        (
            'uring-granian: error: could not import "ug_no_such_module:app": '
            "ModuleNotFoundError: No module named 'ug_no_such_module'"
        )
    ]


def test_missing_attribute_with_workers_names_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--workers", "3", "--port", "8123", "pid_app:nope"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=HERE,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        'uring-granian: error: could not import "pid_app:nope": "pid_app" has no attribute "nope"'
    ]


def test_no_worker_outlives_a_failed_start() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uring_granian", "--workers", "2", "--port", "8123", "ug_no_such_module:app"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=HERE,
    )
    assert proc.wait(60) == 1
    assert child_pids(proc.pid) == set()
