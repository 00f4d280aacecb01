"""Smoke test of perf/bench's ws-echo scenario and of its WebSocket client (perf/benchkit/wsload.py).

The client must count only correct echoes: against its reference echo server it completes every round trip, and
when that server changes one byte of one echo the client fails the run. Then a one-second perf/bench ws-echo run
must write a complete JSON result.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "perf" / "bench"
WSLOAD = REPO / "perf" / "benchkit" / "wsload.py"
URING_PYTHON = REPO / ".venv" / "bin" / "python"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def reference_server(request):
    """wsload.py --serve on a free port; the parameter is --corrupt-every (0: every echo correct)."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(WSLOAD), "--serve", str(port), "--corrupt-every",
                                str(request.param)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "reference server did not start"
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)


def _load(port, *extra):
    return subprocess.run([sys.executable, str(WSLOAD), f"ws://127.0.0.1:{port}/", "-c", "3", "-d", "20",
                           "--messages", "12", *extra], capture_output=True, text=True, timeout=60)


MESSAGES = [pytest.param([], id="64B-text-depth1"),
            pytest.param(["--size", "16384", "--binary", "--depth", "4"], id="16KiB-binary-depth4")]


@pytest.mark.parametrize("reference_server", [0], indirect=True)
@pytest.mark.parametrize("message", MESSAGES)
def test_client_counts_every_correct_echo(reference_server, message):
    completed = _load(reference_server, *message)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["round_trips"] == 3 * 12 and result["errors"] == {"non_2xx": 0, "socket": 0}
    assert 0 < result["latency_us"]["p50"] <= result["latency_us"]["p99"] <= result["latency_us"]["max"]
    assert result["client_cpu_us_per_round_trip"] > 0


@pytest.mark.parametrize("reference_server", [5], indirect=True)
@pytest.mark.parametrize("message", MESSAGES)
def test_client_fails_the_run_on_a_corrupted_echo(reference_server, message):
    completed = _load(reference_server, *message)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "echo #4 differs from the message sent" in completed.stderr
    assert "first difference at byte 0" in completed.stderr
    assert completed.stdout == ""


def _missing_for_run(server):
    if not shutil.which("taskset"):
        return "taskset is not installed"
    if (os.cpu_count() or 1) < 2:
        return "needs two CPUs (server on CPU 0, client on CPU 1)"
    if server == "uring_granian" and not URING_PYTHON.exists():
        return f"{URING_PYTHON} not found (run scripts/build)"
    return None


@pytest.mark.parametrize("server", [
    pytest.param(server, marks=pytest.mark.skipif(_missing_for_run(server) is not None,
                                                  reason=_missing_for_run(server) or ""))
    for server in ["wsload-echo", "uring_granian"]])
@pytest.mark.timeout(120)
def test_one_second_ws_echo_run_writes_complete_json(tmp_path, server):
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--scenario", "ws-echo", "--servers", server, "--duration", "1",
         "--warmup", "1", "--no-plots", "--no-perf-stat", "--out", str(tmp_path), "--uring-python", str(URING_PYTHON)],
        capture_output=True, text=True, timeout=110)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((tmp_path / f"ws-echo-{server}-c64.json").read_text())
    assert run["scenario"] == "ws-echo" and run["kind"] == "ws" and run["connections"] == 64
    assert run["ws_message"] == {"bytes": 64, "type": "text", "depth": 1}
    assert run["requests"] > 100 and run["rps"] > 100
    assert run["errors"] == {"non_2xx": 0, "socket": 0}
    assert 0 < run["cpu_us_per_request"] < 10_000 and run["client_cpu_us_per_round_trip"] > 0
    assert run["rss_kib"]["peak"] >= run["rss_kib"]["final"] > 0
    assert run["command"][:3] == ["taskset", "-c", "0"]
    assert server != "uring_granian" or run["command"][-1] == "ws_app:app"
    assert run["load_command"][:3] == ["taskset", "-c", "1"] and str(WSLOAD) in run["load_command"]
    table = (tmp_path / "summary.md").read_text()
    assert f"| {server} |" in table and "CPU µs/rt" in table
