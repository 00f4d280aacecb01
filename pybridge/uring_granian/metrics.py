"""The supervisor's half of `--metrics`: a Prometheus text-format endpoint (exposition format 0.0.4).

A scrape renders, for the workers alive at that moment:
- what the supervisor knows itself: worker restarts by reason, each worker's resident memory (read from /proc at
  scrape time), the number of workers;
- what each worker last wrote to the snapshot directory (worker_metrics.py, at most a second old): requests by
  status and the request-duration histogram measured at the app boundary, and the engine's per-reactor counters
  (requests parsed, connections accepted, connections open).
The series are listed in README.md ("Metrics").
Every family is always declared (HELP and TYPE) so dashboards see the schema; a family without a source has no
samples rather than invented ones. Counters of a worker start again from zero in its replacement (a new pid label),
which Prometheus's rate() treats as a counter reset.

The endpoint is a ThreadingHTTPServer on a daemon thread: scrapes are rare, and the supervisor's own loop must
never wait on a slow scraper.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .errors import StartupError
from .process import resident_bytes
from .worker_metrics import DURATION_BUCKETS_S

__all__ = ["CONTENT_TYPE", "MetricsServer", "SupervisorView", "WorkerView", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "uring_granian"
RESTART_REASONS = ("failed", "lifetime", "max_rss", "reload", "signal")


@dataclass(frozen=True)
class WorkerView:
    index: int
    pid: int


@dataclass(frozen=True)
class SupervisorView:
    """What the supervisor hands to a scrape: a consistent copy, taken on the scrape thread."""

    workers: list[WorkerView]
    restarts: dict[str, int] = field(default_factory=dict)


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.lines = [f"# HELP {PREFIX}_{name} {help_text}", f"# TYPE {PREFIX}_{name} {kind}"]
        self.name = f"{PREFIX}_{name}"

    def sample(self, value: float, *, suffix: str = "", **labels: object) -> None:
        label_text = ",".join(f'{key}="{_escape(str(v))}"' for key, v in labels.items())
        labelled = f"{{{label_text}}}" if labels else ""
        self.lines.append(f"{self.name}{suffix}{labelled} {_number(value)}")


def render(view: SupervisorView, snapshot_directory: str) -> str:
    """The whole exposition for one scrape."""
    workers = _Family("workers", "gauge", "Worker processes running.")
    workers.sample(len(view.workers))
    restarts = _Family("worker_restarts_total", "counter", "Workers replaced or respawned, by reason.")
    for reason in RESTART_REASONS:
        restarts.sample(view.restarts.get(reason, 0), reason=reason)
    rss = _Family("worker_resident_memory_bytes", "gauge", "Resident memory (VmRSS) of each worker.")
    requests = _Family(
        "http_requests_total", "counter", "HTTP requests the application handled, by the status the client got."
    )
    duration = _Family(
        "http_request_duration_seconds", "histogram", "Time the application took per HTTP request, in seconds."
    )
    engine_requests = _Family("engine_requests_total", "counter", "Requests parsed by the engine, per reactor thread.")
    accepted = _Family("engine_connections_accepted_total", "counter", "Connections accepted, per reactor thread.")
    open_connections = _Family("engine_connections_open", "gauge", "Connections open now, per reactor thread.")
    http2_connections = _Family(
        "engine_http2_connections_total", "counter", "Connections that spoke HTTP/2, per reactor thread."
    )
    http2_streams = _Family(
        "engine_http2_streams_total", "counter", "HTTP/2 requests (streams) handled, per reactor thread."
    )

    for worker in view.workers:
        labels: dict[str, Any] = {"worker": worker.index, "pid": worker.pid}
        resident = resident_bytes(worker.pid)
        if resident is not None:
            rss.sample(resident, **labels)
        snapshot = _read_snapshot(snapshot_directory, worker.pid)
        if snapshot is None:
            continue
        app = snapshot.get("app") or {}
        for status, count in sorted(app.get("requests_by_status", {}).items()):
            requests.sample(count, **labels, code=status)
        buckets = app.get("duration_buckets")
        if buckets:
            cumulative = 0
            for bound, count in zip((*DURATION_BUCKETS_S, float("inf")), buckets, strict=True):
                cumulative += count
                duration.sample(cumulative, suffix="_bucket", **labels, le=_number(bound))
            duration.sample(app.get("duration_sum", 0.0), suffix="_sum", **labels)
            duration.sample(cumulative, suffix="_count", **labels)
        for reactor, stats in enumerate((snapshot.get("engine") or {}).get("reactors", [])):
            reactor_labels: dict[str, Any] = {**labels, "reactor": reactor}
            if "requests" in stats:
                engine_requests.sample(stats["requests"], **reactor_labels)
            if "connections_accepted" in stats:
                accepted.sample(stats["connections_accepted"], **reactor_labels)
            if "connections_open" in stats:
                open_connections.sample(stats["connections_open"], **reactor_labels)
            if "http2_connections" in stats:
                http2_connections.sample(stats["http2_connections"], **reactor_labels)
            if "http2_streams" in stats:
                http2_streams.sample(stats["http2_streams"], **reactor_labels)

    families = (
        workers,
        restarts,
        rss,
        requests,
        duration,
        engine_requests,
        accepted,
        open_connections,
        http2_connections,
        http2_streams,
    )
    return "".join(line + "\n" for family in families for line in family.lines)


def _read_snapshot(directory: str, pid: int) -> dict[str, Any] | None:
    try:
        with open(os.path.join(directory, f"{pid}.json"), encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None  # not written yet (a worker starting up)
    return data if isinstance(data, dict) else None


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsServer:
    """GET /metrics (any path answers the same) on address:port, served from a daemon thread."""

    def __init__(self, address: str, port: int, view: Callable[[], SupervisorView], snapshot_directory: str) -> None:
        handler = _handler_class(lambda: render(view(), snapshot_directory))
        server_class = _server_class(address)
        try:
            self._server = server_class((address, port), handler)
        except OSError as exc:
            raise StartupError(f"cannot serve metrics on {address}:{port}: {exc.strerror}") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="ug-metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _server_class(address: str) -> type[ThreadingHTTPServer]:
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    return Server


def _handler_class(body: Callable[[], str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            payload = body().encode()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Iterable[Any]) -> None:  # noqa: A002 - overrides the base
            pass  # scrapes every few seconds would drown the server log

    return Handler
