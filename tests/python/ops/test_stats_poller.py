"""The worker's one reader of the engine's counters (stats_poller.py) and its two users: --workers-max-requests
(request_limit.py) and the --metrics snapshots (worker_metrics.py). A fake stats() stands in for the native
server's, counting its calls; the end-to-end behaviour of both options is in test_worker_options.py and
test_metrics.py."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

from uring_granian.request_limit import RequestLimit
from uring_granian.stats_poller import Reactors, StatsPoller
from uring_granian.worker_metrics import AppCounters, SnapshotWriter


class FakeStats:
    """stats() of a server whose one reactor has parsed one more request at every call."""

    def __init__(self) -> None:
        self.readings: list[int] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self) -> list[dict[str, int]]:
        with self._lock:
            requests = next(self._counter)
            self.readings.append(requests)
        return [{"connections_accepted": 1, "connections_open": 1, "requests": requests}]


def requests_of(reactors: Reactors) -> int:
    assert reactors is not None
    return reactors[0]["requests"]


def test_tasks_due_together_share_one_reading() -> None:
    stats = FakeStats()
    fast: list[int] = []
    slow: list[int] = []
    enough = threading.Event()

    def fast_task(reactors: Reactors) -> bool:
        fast.append(requests_of(reactors))
        if len(fast) < 16:
            return True
        enough.set()
        return False

    def slow_task(reactors: Reactors) -> bool:
        slow.append(requests_of(reactors))
        return True

    poller = StatsPoller()
    # Binary fractions of a second: every second fast tick falls due at the very time of a slow one.
    poller.every(1 / 64, fast_task)
    poller.every(1 / 32, slow_task)
    poller.set_engine_stats(stats)
    poller.start()
    try:
        assert enough.wait(60)
    finally:
        poller.stop()
    handed_out = set(fast) | set(slow)
    assert set(stats.readings) == handed_out  # every stats() call was for a task that was due
    assert set(slow) & set(fast)  # ... and the two shared the readings taken when both were due
    assert fast == sorted(fast) and len(set(fast)) == len(fast)  # a fresh reading each time, in order


def test_the_request_limit_is_reported_once_and_then_polling_stops() -> None:
    stats = FakeStats()
    reached: list[int] = []
    done = threading.Event()

    def on_reached(count: int) -> None:
        reached.append(count)
        done.set()

    poller = StatsPoller()
    poller.every(1 / 128, RequestLimit(5, on_reached).check)
    poller.set_engine_stats(stats)
    poller.start()
    try:
        assert done.wait(60)
    finally:
        poller.stop()
    assert reached == [5]
    assert stats.readings == [1, 2, 3, 4, 5]  # the only task is done: no reading after it


def test_before_the_server_runs_there_is_no_reading(tmp_path: Path) -> None:
    poller = StatsPoller()
    assert poller.read() is None
    poller.set_engine_stats(lambda: None)
    assert poller.read() is None

    def refusing() -> list[dict[str, int]]:
        raise RuntimeError("the server is stopping")

    poller.set_engine_stats(refusing)
    assert poller.read() is None

    counters = AppCounters()
    counters.record(200, 0.001)
    writer = SnapshotWriter(str(tmp_path), 3, counters)
    assert writer.task(poller.read())
    snapshot = json.loads(Path(writer.path).read_text())
    assert "engine" not in snapshot and snapshot["worker"] == 3 and snapshot["app"]["requests_by_status"] == {"200": 1}
    poller.set_engine_stats(FakeStats())
    assert writer.task(poller.read())
    assert json.loads(Path(writer.path).read_text())["engine"]["reactors"][0]["requests"] == 1


def test_the_snapshot_task_ends_when_the_directory_is_gone(tmp_path: Path) -> None:
    writer = SnapshotWriter(str(tmp_path / "removed by the supervisor"), 0, AppCounters())
    assert writer.task(None) is False
