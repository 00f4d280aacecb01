"""When a running worker is due for a graceful replacement: the policies the supervisor samples every second
(--workers-lifetime, --workers-max-rss, and --workers-max-requests, whose count the worker reports itself).

Each policy looks at one worker and answers with a `Due` (the reason counted in the restart metrics, and the log
line) or None. The supervisor replaces at most one worker per sample, so workers are always replaced one at a time
(supervisors/multiprocess.py, Supervisor._replace).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import Config
from ..process import resident_bytes

if TYPE_CHECKING:
    from .multiprocess import Worker

__all__ = ["SAMPLE_INTERVAL_S", "Due", "due_replacement", "samples_needed"]

# How often the supervisor looks at its workers' age and memory.
SAMPLE_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Due:
    reason: str  # label of the restart counter: lifetime, max_rss, max_requests
    level: int  # of the log line
    message: str


def samples_needed(config: Config) -> bool:
    """Whether any policy is on (else the supervisor does not sample)."""
    return any(x is not None for x in (config.workers_lifetime, config.workers_max_rss, config.workers_max_requests))


def due_replacement(config: Config, worker: Worker, now: float | None = None) -> Due | None:
    """The first policy that wants `worker` replaced, or None."""
    now = time.monotonic() if now is None else now
    lifetime = config.workers_lifetime
    if lifetime is not None and now - worker.started_at >= lifetime:
        return Due("lifetime", logging.INFO, f"reached its lifetime of {lifetime}s")
    served = worker.served_quota  # the worker counts (request_limit.py) and says when it is done
    if served is not None:
        return Due("max_requests", logging.INFO, f"served {served} requests (--workers-max-requests); replacing it")
    max_rss_mib = config.workers_max_rss
    resident = resident_bytes(worker.pid) if max_rss_mib is not None else None
    if max_rss_mib is not None and resident is not None and resident > max_rss_mib * 1024 * 1024:
        return Due(
            "max_rss",
            logging.WARNING,
            f"uses {resident // (1024 * 1024)} MiB, above --workers-max-rss {max_rss_mib} MiB; replacing it",
        )
    return None
