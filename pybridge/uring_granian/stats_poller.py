"""The worker's one reader of the engine's counters: a daemon thread that calls the native server's stats() on a
schedule and hands each reading to whoever asked for it (--workers-max-requests every 0.1 s, request_limit.py;
--metrics snapshots every second, worker_metrics.py).

One thread and one stats() call per tick however many users there are: each call takes the GIL from the loop (or
WSGI) threads and builds a dict per reactor, and each extra polling thread is one more wake-up for the same
numbers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Reactors", "StatsPoller"]

# One dict per reactor (connections_accepted, connections_open, requests), or None while no server runs.
Reactors = list[dict[str, int]] | None

# A user of the readings: called with each one due to it; returns False when it wants no more.
Task = Callable[[Reactors], bool]


class _Scheduled:
    __slots__ = ("due", "interval", "task")

    def __init__(self, interval: float, task: Task) -> None:
        self.interval = interval
        self.task = task
        self.due = 0.0


class StatsPoller:
    """Calls each task every its interval (from start()), from one thread, with the same reading when several are
    due together. A task runs on the poller's thread: it must not block for long."""

    def __init__(self) -> None:
        self._scheduled: list[_Scheduled] = []
        self._stats: Callable[[], Reactors] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uring-granian-stats", daemon=True)

    def every(self, interval: float, task: Task) -> None:
        """Adds `task`, called every `interval` seconds; before start() only."""
        self._scheduled.append(_Scheduled(interval, task))

    def set_engine_stats(self, source: Callable[[], Any]) -> None:
        """The native server's stats() (None, or a list of per-reactor dicts, until it serves)."""
        self._stats = source

    def read(self) -> Reactors:
        """The engine's counters now, or None when no server serves (or a stopping one refused)."""
        if self._stats is None:
            return None
        try:
            reactors: Reactors = self._stats()
        except Exception:  # noqa: BLE001 - a stopping server may refuse; the next reading will tell
            return None
        return reactors

    def start(self) -> None:
        """Starts the thread; nothing when no task was added."""
        if not self._scheduled:
            return
        now = time.monotonic()
        for scheduled in self._scheduled:
            scheduled.due = now + scheduled.interval
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while self._scheduled:
            wait = min(scheduled.due for scheduled in self._scheduled) - time.monotonic()
            if self._stop.wait(max(0.0, wait)):
                return
            now = time.monotonic()
            due = [scheduled for scheduled in self._scheduled if scheduled.due <= now]
            if not due:
                continue
            reactors = self.read()
            for scheduled in due:
                if scheduled.task(reactors):
                    # From the previous due time, not from now: a slow task does not make the schedule drift.
                    scheduled.due = max(scheduled.due + scheduled.interval, now)
                else:
                    self._scheduled.remove(scheduled)
