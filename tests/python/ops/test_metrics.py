"""--metrics: a Prometheus scrape of the supervisor whose counts match the requests that were sent."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import WORKER_TESTS_DIR, RunningServer, free_port, wait_until

from uring_granian.metrics import SupervisorView, WorkerView, render

pytestmark = pytest.mark.timeout(120)

SAMPLE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")
FAMILIES = (
    "uring_granian_workers gauge",
    "uring_granian_worker_restarts_total counter",
    "uring_granian_worker_resident_memory_bytes gauge",
    "uring_granian_http_requests_total counter",
    "uring_granian_http_request_duration_seconds histogram",
    "uring_granian_engine_requests_total counter",
    "uring_granian_engine_connections_accepted_total counter",
    "uring_granian_engine_connections_open gauge",
    "uring_granian_engine_http2_connections_total counter",
    "uring_granian_engine_http2_streams_total counter",
)


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    samples = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match is not None, f"not a sample line: {line!r}"
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        samples.append((match["name"], labels, float(match["value"])))
    return samples


def total(samples: list[tuple[str, dict[str, str], float]], name: str, **wanted: str) -> float:
    return sum(v for n, labels, v in samples if n == name and all(labels.get(k) == w for k, w in wanted.items()))


def test_scrape_counts_match_the_requests_sent(launch: Callable[..., RunningServer]) -> None:
    metrics_port = free_port()
    server = launch(
        "--workers", "2", "--metrics", "--metrics-port", str(metrics_port), ready="Supervisor {pid} ready"
    )
    scrape_url = f"http://127.0.0.1:{metrics_port}/metrics"
    workers = server.worker_pids()
    ok_sent, missing_sent, slow_sent = 40, 7, 3
    for _ in range(ok_sent):  # new connections: SO_REUSEPORT spreads them over both workers
        assert httpx.get(server.url("/"), headers={"connection": "close"}, timeout=10).status_code == 200
    with httpx.Client(timeout=10) as client:
        for _ in range(missing_sent):
            assert client.get(server.url("/missing")).status_code == 404
        for _ in range(slow_sent):
            assert client.get(server.url("/slow?0.3")).status_code == 200
    sent = ok_sent + missing_sent + slow_sent

    def settled() -> list[tuple[str, dict[str, str], float]] | None:
        samples = parse(httpx.get(scrape_url, timeout=10).text)  # the scrape itself is not an app request
        return samples if total(samples, "uring_granian_http_requests_total") >= sent else None

    samples = wait_until(settled, 10, "the workers' snapshots to include every request")
    response = httpx.get(scrape_url, timeout=10)
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    for family in FAMILIES:
        assert f"# TYPE {family}\n" in response.text

    assert total(samples, "uring_granian_http_requests_total", code="200") == ok_sent + slow_sent
    assert total(samples, "uring_granian_http_requests_total", code="404") == missing_sent
    assert total(samples, "uring_granian_http_requests_total") == sent
    assert {labels["pid"] for n, labels, _ in samples if n == "uring_granian_http_requests_total"} <= {
        str(pid) for pid in workers
    }
    # The histogram: every request counted once; the three slow ones above 0.25 s, the rest (local) below.
    assert total(samples, "uring_granian_http_request_duration_seconds_count") == sent
    assert total(samples, "uring_granian_http_request_duration_seconds_bucket", le="+Inf") == sent
    assert total(samples, "uring_granian_http_request_duration_seconds_bucket", le="0.25") == sent - slow_sent
    assert total(samples, "uring_granian_http_request_duration_seconds_sum") >= slow_sent * 0.3
    # What the supervisor knows itself.
    assert total(samples, "uring_granian_workers") == 2
    rss = {labels["pid"]: v for n, labels, v in samples if n == "uring_granian_worker_resident_memory_bytes"}
    assert set(rss) == {str(pid) for pid in workers} and all(v > 10 * 2**20 for v in rss.values())
    assert total(samples, "uring_granian_worker_restarts_total") == 0
    # The engine's own counters: every request parsed, one connection per plain GET plus the client's one.
    assert total(samples, "uring_granian_engine_requests_total") == sent
    assert total(samples, "uring_granian_engine_connections_accepted_total") == ok_sent + 1
    assert {labels["pid"] for n, labels, _ in samples if n == "uring_granian_engine_requests_total"} <= {
        str(pid) for pid in workers
    }

    server.process.send_signal(signal.SIGHUP)  # two replacements, counted as restarts by signal
    server.wait_for_log("Rolling restart done")
    after = parse(httpx.get(scrape_url, timeout=10).text)
    assert total(after, "uring_granian_worker_restarts_total", reason="signal") == 2
    assert total(after, "uring_granian_http_requests_total") == 0  # new workers, new series: no request yet
    assert server.stop() == 0


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_engine_connection_counters(launch: Callable[..., RunningServer], interface: str) -> None:
    """K keep-alive connections carrying N requests: accepted grows by K, the open gauge is K while they are open
    and 0 once they are closed, the engine counts exactly N requests. Two reactors: the series sum over both."""
    metrics_port = free_port()
    server = launch(
        "--interface",
        interface,
        "--threads",
        "2",
        "--metrics",
        "--metrics-port",
        str(metrics_port),
        app=f"recording_apps:{interface}_app",
        cwd=Path(__file__).parent,
        ready="Supervisor {pid} ready",
    )
    scrape_url = f"http://127.0.0.1:{metrics_port}/metrics"

    def engine_counts() -> tuple[float, float, float] | None:
        samples = parse(httpx.get(scrape_url, timeout=10).text)
        if not any(n == "uring_granian_engine_requests_total" for n, _, _ in samples):
            return None  # the worker has not written a snapshot with its engine counters yet
        assert {labels["reactor"] for n, labels, _ in samples if n == "uring_granian_engine_requests_total"} == {
            "0",
            "1",
        }
        return (
            total(samples, "uring_granian_engine_connections_accepted_total"),
            total(samples, "uring_granian_engine_connections_open"),
            total(samples, "uring_granian_engine_requests_total"),
        )

    accepted_before, open_before, requests_before = wait_until(engine_counts, 10, "the engine counters")
    assert open_before == 0
    connections, per_connection = 5, 3
    clients = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(connections)]
    try:
        for _ in range(per_connection):
            for client in clients:
                client.request("GET", "/counted")
                response = client.getresponse()
                assert (response.status, response.read()) == (200, f"{interface} /counted".encode())
        sent = connections * per_connection
        expected_open = (accepted_before + connections, float(connections), requests_before + sent)
        assert wait_until(lambda: engine_counts() == expected_open, 10, f"counters {expected_open}")
    finally:
        for client in clients:
            client.close()
    expected_closed = (accepted_before + connections, 0.0, requests_before + sent)
    assert wait_until(lambda: engine_counts() == expected_closed, 10, f"counters {expected_closed}")

    def http2_counts() -> tuple[float, float]:
        samples = parse(httpx.get(scrape_url, timeout=10).text)
        return (
            total(samples, "uring_granian_engine_http2_connections_total"),
            total(samples, "uring_granian_engine_http2_streams_total"),
        )

    assert http2_counts() == (0, 0)
    # One h2c connection with three streams: counted as HTTP/2, and as requests too.
    with httpx.Client(http1=False, http2=True, timeout=10) as h2c:
        for _ in range(3):
            assert h2c.get(f"http://127.0.0.1:{server.port}/counted").http_version == "HTTP/2"
    assert wait_until(lambda: http2_counts() == (1, 3), 10, "the HTTP/2 counters (1, 3)")
    assert wait_until(lambda: engine_counts()[2] == requests_before + sent + 3, 10, "requests with HTTP/2's")
    assert server.stop() == 0


def test_families_are_declared_without_workers_and_no_sample_is_invented() -> None:
    text = render(SupervisorView(workers=[], restarts={"reload": 3}), "/nonexistent")
    for family in FAMILIES:
        assert f"# TYPE {family}\n" in text
    samples = parse(text)
    assert {n for n, _, _ in samples} == {"uring_granian_workers", "uring_granian_worker_restarts_total"}
    assert total(samples, "uring_granian_worker_restarts_total", reason="reload") == 3


def test_a_worker_without_a_snapshot_has_only_its_memory() -> None:
    text = render(SupervisorView(workers=[WorkerView(index=1, pid=os.getpid())]), "/nonexistent")
    names = {n for n, _, _ in parse(text)}
    assert "uring_granian_worker_resident_memory_bytes" in names
    assert "uring_granian_http_requests_total" not in names


def test_wsgi_scrape_counts_every_body_shape(launch: Callable[..., RunningServer]) -> None:
    metrics_port = free_port()
    server = launch(
        "--interface",
        "wsgi",
        "--metrics",
        "--metrics-port",
        str(metrics_port),
        app="wsgi_metrics_app:app",
        cwd=Path(__file__).parent,
        ready="Supervisor {pid} ready",
    )
    expected = {"/": (200, b"list"), "/stream": (200, b"stream-ed"), "/missing": (404, b"missing")}
    with httpx.Client(timeout=10) as client:
        for path, (status, body) in expected.items():
            response = client.get(server.url(path))
            assert (response.status_code, response.content) == (status, body)
        file_response = client.get(server.url("/file"))  # the counting layer must not hide the file wrapper
        assert file_response.content == (Path(__file__).parent / "wsgi_metrics_app.py").read_bytes()
        assert client.get(server.url("/boom")).status_code == 500

    def settled() -> list[tuple[str, dict[str, str], float]] | None:
        samples = parse(httpx.get(f"http://127.0.0.1:{metrics_port}/", timeout=10).text)
        return samples if total(samples, "uring_granian_http_requests_total") >= 5 else None

    samples = wait_until(settled, 10, "the worker's snapshot")
    assert total(samples, "uring_granian_http_requests_total", code="200") == 3
    assert total(samples, "uring_granian_http_requests_total", code="404") == 1
    assert total(samples, "uring_granian_http_requests_total", code="500") == 1
    assert total(samples, "uring_granian_http_request_duration_seconds_count") == 5
    assert server.stop() == 0


def test_busy_metrics_port_is_one_line_and_exit_1() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "uring_granian", "--metrics", "--metrics-port", str(busy), "pid_app:app"],
            cwd=WORKER_TESTS_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"uring-granian: error: cannot serve metrics on 127.0.0.1:{busy}: Address already in use"
    )
