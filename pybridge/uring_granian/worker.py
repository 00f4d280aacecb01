"""The worker process a supervisor starts (`python -m uring_granian` with WORKER_ENV set): it loads the app, serves
on its slot's inherited socket and reports on the readiness pipe, one line per message:

- `ready` once its server listens, or `error <one line>` when it cannot start (then it exits 1);
- then, with --workers-max-requests, `recycle <count>` once it has served its quota (request_limit.py): the
  supervisor replaces it gracefully.
The pipe stays open until the worker exits.

The supervisor's side of the pipe is `supervisors/multiprocess.py`.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from .config import Config
from .constants import EXIT_FAILURE
from .errors import ONE_LINE_ERRORS
from .logging import configure_logging, logger
from .process import die_with_parent, set_process_name, worker_process_name
from .stats_poller import StatsPoller

__all__ = ["ERROR", "READY", "RECYCLE", "WORKER_ENV", "ReadyChannel", "worker_main"]

# JSON hand-over from the supervisor: {"config", "sys_path", "ready_fd", "index", "parent", "metrics_dir"}
WORKER_ENV = "URING_GRANIAN_WORKER"
READY = b"ready"
ERROR = b"error "
RECYCLE = b"recycle "


class ReadyChannel:
    """The write end of the readiness pipe: `ready` or `error`, then possibly `recycle`; closed at `error`."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        self._lock = threading.Lock()  # `recycle` comes from the stats poller's thread
        os.set_inheritable(fd, False)  # the app's own subprocesses must not hold it open

    def notify(self) -> None:
        self._send(READY + b"\n")

    def fail(self, message: str) -> None:
        self._send(ERROR + " ".join(message.split()).encode("utf-8", "replace") + b"\n", close=True)

    def recycle(self, served: int) -> None:
        self._send(RECYCLE + str(served).encode() + b"\n")

    def _send(self, data: bytes, close: bool = False) -> None:
        with self._lock:
            if self._fd is None:
                return
            try:
                os.write(self._fd, data)
            except OSError as exc:
                if exc.errno != errno.EPIPE:
                    raise
                close = True  # the supervisor is gone
            if close:
                os.close(self._fd)
                self._fd = None


def worker_main() -> int:
    """Body of a worker process (see `Supervisor._spawn`); returns its exit status."""
    payload = json.loads(os.environ.pop(WORKER_ENV))
    ready = ReadyChannel(payload["ready_fd"])
    # A worker must not outlive a supervisor that was SIGKILLed.
    if not die_with_parent(payload["parent"], signal.SIGTERM):
        return EXIT_FAILURE
    parent_path: list[str] = payload["sys_path"]
    sys.path[:] = parent_path + [p for p in sys.path if p not in parent_path]
    # `workers` stays as the supervisor has it (a worker runs run_worker directly, never a supervisor): the
    # app sees how many processes serve it (wsgi.multiprocess).
    config = Config.from_dict(payload["config"]).replace(reload=False, reload_paths=None, metrics=False)
    set_process_name(worker_process_name(config.process_name, payload["index"]))
    # SIGHUP means "restart" to the supervisor only; a stray one must not kill a worker mid-request.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    try:
        configure_logging(config)
        from .importer import load_app

        app = load_app(str(config.app), config.factory)
        # One thread reads the engine's counters for whatever watches them; it gets stats() before serving.
        poller = StatsPoller()
        if config.workers_max_requests is not None:
            from .request_limit import POLL_INTERVAL_S, RequestLimit, quota

            limit = RequestLimit(quota(config.workers_max_requests, config.workers_max_requests_jitter), ready.recycle)
            poller.every(POLL_INTERVAL_S, limit.check)
        metrics_dir = payload.get("metrics_dir")
        if metrics_dir is not None:
            from .worker_metrics import SNAPSHOT_INTERVAL_S, AppCounters, SnapshotWriter, counting_app

            counters = AppCounters()
            snapshots = SnapshotWriter(metrics_dir, payload["index"], counters)
            app = counting_app(app, config.interface, counters)
            snapshots.write()  # the supervisor sees the worker (without engine counters) before it serves
            poller.every(SNAPSHOT_INTERVAL_S, snapshots.task)

        def on_server(server: Any) -> None:
            poller.set_engine_stats(server.stats)

        poller.start()
        try:
            return _serve(config, app, ready, on_server)
        finally:
            poller.stop()
    except ONE_LINE_ERRORS as exc:
        ready.fail(str(exc))
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - any failure must reach the supervisor as one line
        logger.exception("Worker failed")
        ready.fail(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILURE


def _serve(config: Config, app: Any, ready: ReadyChannel, on_server: Callable[[Any], None]) -> int:
    from .server import run_worker

    # The supervisor checked the port (supervisors/sockets.py): the engine must not refuse it for a sibling.
    return int(run_worker(config, app, on_ready=ready.notify, on_server=on_server, port_checked=True))
