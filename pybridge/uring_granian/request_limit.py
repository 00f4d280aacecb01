"""--workers-max-requests: a worker watches the engine's request counter and asks its supervisor for a replacement
once it has served its quota (gunicorn's --max-requests, uvicorn's --limit-max-requests).

The worker does not stop by itself: it tells the supervisor (a `recycle` line on the readiness pipe, worker.py), and
the supervisor replaces it the way --workers-lifetime does (supervisors/replacement.py): the new worker starts and
reports ready, then this one drains. No request is refused on the way, and the quota is a lower bound: requests
keep being served until the replacement is ready.

The count is the engine's (the sum of the reactors' `requests` in the native server's stats()): every request the
worker parsed, whether the app answered it (ASGI, WSGI), the engine did (static files) or it was refused (4xx).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .stats_poller import Reactors

__all__ = ["POLL_INTERVAL_S", "RequestLimit", "quota"]

# How often the counter is read: a worker serves at most this long past its quota before the supervisor hears.
POLL_INTERVAL_S = 0.1


def quota(max_requests: int, jitter: int, rng: random.Random | None = None) -> int:
    """This worker's quota: max_requests plus a random 0..jitter, so workers started together are not all
    replaced at once."""
    return max_requests + (rng or random).randint(0, jitter)


def served(reactors: Reactors) -> int:
    """The requests the engine parsed, over all its reactors (0 before it serves)."""
    return sum(int(reactor.get("requests", 0)) for reactor in reactors or ())


class RequestLimit:
    """Calls `on_reached(count)` once, when a reading of the engine's counters (the worker's StatsPoller, every
    POLL_INTERVAL_S) shows `limit` requests served."""

    def __init__(self, limit: int, on_reached: Callable[[int], Any]) -> None:
        self.limit = limit
        self._on_reached = on_reached

    def check(self, reactors: Reactors) -> bool:
        """A StatsPoller task: True while the quota is not reached, so the poller keeps calling."""
        count = served(reactors)
        if count < self.limit:
            return True
        self._on_reached(count)
        return False
