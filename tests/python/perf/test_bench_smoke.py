"""Smoke test of perf/bench: a 1-second engine hello run against uring-serve and nginx, checking the JSON.

Also checks the load generators' output parsers on captured output, which needs no binaries.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BENCH = REPO / "perf" / "bench"
sys.path.insert(0, str(REPO / "perf"))

from benchkit import loadgen  # noqa: E402

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   580.12us  120.50us   1.20s    91.00%
    Req/Sec   110.00k     3.00k  115.00k    80.00%
  Latency Distribution
     50%  550.00us
     75%  600.00us
     90%  700.00us
     99%    2.50ms
  110482 requests in 1.00s, 16.23MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec: 110482.27
Transfer/sec:     16.23MB
"""

H2LOAD_OUTPUT = """finished in 1.00s, 47878.00 req/s, 7.34MB/s
requests: 47878 total, 47882 started, 47878 done, 47878 succeeded, 0 failed, 3 errored, 2 timeout
status codes: 47870 2xx, 0 3xx, 8 4xx, 0 5xx
"""


def test_parse_wrk_reads_rate_latency_and_errors():
    result = loadgen.parse_wrk(WRK_OUTPUT)
    assert result["requests"] == 110482
    assert result["rps"] == pytest.approx(110482.27)
    assert result["latency_us"] == {"p50": 550.0, "p99": 2500.0, "max": 1.2e6}
    assert result["errors"] == {"non_2xx": 7, "socket": 3}


def test_parse_h2load_takes_percentiles_from_the_log():
    log = "".join(f"1795655988217264\t200\t{latency}\n" for latency in range(1, 101))
    result = loadgen.parse_h2load(H2LOAD_OUTPUT, log)
    assert result["requests"] == 47878
    assert result["rps"] == pytest.approx(47878.0)
    assert result["latency_us"] == {"p50": 50.0, "p99": 99.0, "max": 100.0}
    assert result["errors"] == {"non_2xx": 8, "socket": 5}


def _uring_serve():
    from benchkit.servers import default_uring_serve

    return default_uring_serve()


def _missing_for_smoke():
    for tool in ("nginx", "wrk", "h2load", "taskset"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not _uring_serve().exists():
        return f"{_uring_serve()} is not built"
    if (os.cpu_count() or 1) < 2:
        return "needs two CPUs (server on CPU 0, client on CPU 1)"
    return None


@pytest.mark.skipif(_missing_for_smoke() is not None, reason=_missing_for_smoke() or "")
@pytest.mark.timeout(120)
def test_one_second_hello_run_writes_complete_json(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--scenario", "hello", "--servers", "uring-serve,nginx", "--duration", "1",
         "--warmup", "1", "--no-plots", "--out", str(tmp_path), "--uring-serve", str(_uring_serve())],
        capture_output=True, text=True, timeout=110)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for server in ("uring-serve", "nginx"):
        run = json.loads((tmp_path / f"hello-{server}-c64.json").read_text())
        assert run["server"] == server and run["scenario"] == "hello" and run["connections"] == 64
        assert run["requests"] > 100 and run["rps"] > 100
        assert run["errors"] == {"non_2xx": 0, "socket": 0}
        assert 0 < run["latency_us"]["p50"] <= run["latency_us"]["p99"] <= run["latency_us"]["max"]
        assert 0 < run["cpu_us_per_request"] < 10_000
        assert 0 < run["server_cpu_share"] <= 1.5 and isinstance(run["client_limited"], bool)
        assert run["context_switches_per_request"]["voluntary"] >= 0
        assert run["rss_kib"]["peak"] >= run["rss_kib"]["final"] > 0
        assert run["command"][:3] == ["taskset", "-c", "0"] and run["load_command"][:3] == ["taskset", "-c", "1"]
        assert run["version"]
        for field in ("date", "cpu_model", "kernel", "git_commit", "bench_python"):
            assert run["meta"][field]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {run["server"] for run in summary["runs"]} == {"uring-serve", "nginx"}
    table = (tmp_path / "summary.md").read_text()
    assert "| uring-serve |" in table and "| nginx |" in table
