"""perf/bench replace (issue 15): the command lines it derives, and a short SIGHUP run of uring_granian whose JSON
carries the figure (errors per replacement) and replacements counted from the server's own log."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "perf" / "bench"
sys.path.insert(0, str(REPO / "perf"))

from benchkit import replacement  # noqa: E402


def bench_python():
    """The .venv python the bench runs uring_granian with; skips when it or the bench's tools are missing."""
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        pytest.skip("wrk or taskset missing (scripts/setup installs them)")
    python = REPO / ".venv" / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{python} missing: scripts/build makes it")
    return python


def test_the_one_worker_command_gets_the_workers_info_logs_and_options_before_the_app():
    argv = ["granian", "--workers", "1", "--log-level", "warning", "app:app"]
    assert replacement._with_workers(argv, 2, ("--workers-lifetime", "4")) == [
        "granian", "--workers", "2", "--log-level", "info", "--workers-lifetime", "4", "app:app"
    ]


@pytest.mark.timeout(120)
def test_one_sighup_run_writes_errors_per_replacement(tmp_path):
    python = bench_python()
    completed = subprocess.run(
        [sys.executable, str(BENCH), "replace", "--servers", "uring_granian", "--restarts", "1", "--interval", "4",
         "--uring-python", str(python), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=110,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((tmp_path / "replace.json").read_text())["runs"][0]
    assert run["replacements_counted_from_log"] and run["replacements"] == 2, run
    assert run["requests"] > 0
    assert run["errors_per_replacement"] == (run["errors"]["socket"] + run["errors"]["non_2xx"]) / 2
    assert "| uring_granian |" in (tmp_path / "replace.md").read_text()


@pytest.mark.timeout(120)
def test_one_sigterm_run_writes_errors_per_stop_apart_from_refused_connects(tmp_path):
    python = bench_python()
    completed = subprocess.run(
        [sys.executable, str(BENCH), "replace", "--mode", "sigterm", "--servers", "uring_granian", "--restarts", "1",
         "--uring-python", str(python), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=110,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((tmp_path / "replace.json").read_text())["runs"][0]
    assert run["mode"] == "sigterm" and run["exit_codes"] == [0], run
    assert run["requests"] > 0
    # The server is gone for the last seconds of the load: wrk's connects are refused, which is no error.
    assert run["errors"]["refused_connects"] > 0, run
    assert run["errors_per_replacement"] == run["errors"]["socket"] + run["errors"]["non_2xx"]
    assert "refused connects" in (tmp_path / "replace.md").read_text()
