"""The worker's half of `--metrics`: count what this worker serves and hand a snapshot to the supervisor.

Two sources, both real counts (nothing is estimated):
- The app boundary: with --metrics the worker wraps the application in a thin counting layer that records, for
  every HTTP request the application handles, the status the client got and the time the application took.
  Requests the engine answers by itself (400, 413, 431 ...) never reach it; the engine's own counters (below) do
  include them. The layer exists only because the bridge does not count statuses and latencies yet
  (pybridge/OPS_REQUESTS.md): when it does, this layer goes.
- The engine: per-reactor counters (accepted and open connections, requests parsed), read from the running
  server's `stats()` (the native ReactorStats; static files and the engine's own error answers included). Before
  the server runs, the snapshot has no engine section.

Every SNAPSHOT_INTERVAL_S the worker's StatsPoller thread (stats_poller.py, which also serves
--workers-max-requests) writes the snapshot as JSON to `<directory>/<pid>.json` (written to a temporary name and
renamed: the supervisor never reads half a file). A file, not a pipe: the supervisor reads the
latest state when scraped and a stuck reader can never block a worker.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Callable
from typing import Any

from .request_observer import observe_requests
from .stats_poller import Reactors

__all__ = ["DURATION_BUCKETS_S", "SNAPSHOT_INTERVAL_S", "AppCounters", "SnapshotWriter", "counting_app"]

SNAPSHOT_INTERVAL_S = 1.0
# Prometheus client libraries' default histogram buckets, in seconds (the +Inf bucket is implied).
DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class AppCounters:
    """Requests by status and a latency histogram. Updated on the worker's loop thread, read by the writer
    thread; single int updates under the GIL need no lock, and a snapshot a few requests behind is fine."""

    def __init__(self) -> None:
        self.requests_by_status: dict[int, int] = {}
        self.duration_buckets = [0] * (len(DURATION_BUCKETS_S) + 1)  # per bucket, not cumulative; last is +Inf
        self.duration_sum = 0.0

    def record(self, status: int, seconds: float) -> None:
        self.requests_by_status[status] = self.requests_by_status.get(status, 0) + 1
        self.duration_buckets[bisect.bisect_left(DURATION_BUCKETS_S, seconds)] += 1
        self.duration_sum += seconds

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests_by_status": {str(k): v for k, v in dict(self.requests_by_status).items()},
            "duration_buckets": list(self.duration_buckets),
            "duration_sum": self.duration_sum,
        }


def counting_app(app: Callable[..., Any], interface: str, counters: AppCounters) -> Callable[..., Any]:
    """`app` wrapped so that each HTTP request it handles is recorded in `counters`."""
    return observe_requests(app, interface, lambda request: counters.record(request.status, request.seconds))


class SnapshotWriter:
    """Writes this worker's snapshot: once at start, then as a StatsPoller task every SNAPSHOT_INTERVAL_S."""

    def __init__(self, directory: str, index: int, counters: AppCounters) -> None:
        self.path = os.path.join(directory, f"{os.getpid()}.json")
        self._index = index
        self._counters = counters

    def write(self, reactors: Reactors = None) -> None:
        snapshot: dict[str, Any] = {"pid": os.getpid(), "worker": self._index, "app": self._counters.snapshot()}
        if reactors is not None:
            snapshot["engine"] = {"reactors": [dict(reactor) for reactor in reactors]}
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(snapshot, file)
        os.replace(temporary, self.path)

    def task(self, reactors: Reactors) -> bool:
        """The StatsPoller task: False (no more calls) once the supervisor has removed the directory (it stops)."""
        try:
            self.write(reactors)
        except OSError:
            return False
        return True
