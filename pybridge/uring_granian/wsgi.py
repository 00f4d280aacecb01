"""WSGI (PEP 3333) on the engine: one worker's pool of Python threads, signals and graceful stop.

The native WsgiServer feeds requests to `blocking_threads` Python threads, each blocked in serve_requests() with
the GIL released until the pump (a native thread that never takes the GIL) hands it a request; reading
wsgi.input and a backpressured write()/iteration block the same way. There is no event loop in this mode.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

from .config import Config
from .constants import EXIT_OK
from .http import EngineSettings
from .request_observer import static_observer

__all__ = ["FileWrapper", "default_blocking_threads", "run_wsgi_worker"]

logger = logging.getLogger("uring_granian")

# How long, after the engine's own graceful timeout, a WSGI thread still busy in the app is waited for before
# the worker exits anyway (the threads are daemons: an app stuck in a call cannot hold the process forever).
THREAD_JOIN_GRACE_SECONDS = 5.0


class FileWrapper:
    """environ["wsgi.file_wrapper"]. Returned as the response of a real file, the engine sends it zero-copy
    (sendfile, from the file's current position); otherwise it is an iterable of blocks, as PEP 3333 describes."""

    def __init__(self, filelike: IO[bytes], blksize: int = 64 * 1024) -> None:
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while block := read(self.blksize):
            yield block


def default_blocking_threads() -> int:
    """Twice the CPUs this process may run on, at least 4.

    A WSGI thread is occupied for the whole request, including time spent blocked on the database, on a slow
    upload or on a slow client (backpressure), so a few more threads than CPUs keep the cores busy; many more
    only add GIL hand-offs for CPU-bound apps. Tune with --blocking-threads.
    """
    return max(4, 2 * len(os.sched_getaffinity(0)))


def run_wsgi_worker(
    config: Config,
    app: Callable[..., Any],
    on_ready: Callable[[], Any] | None = None,
    on_server: Callable[[Any], Any] | None = None,
    port_checked: bool = False,
) -> int:
    """Serves the WSGI `app` in this process until SIGINT/SIGTERM; returns the exit status. Raises StartupError.
    `on_server(native)` gets the native server before it starts (its stats() are the engine's counters);
    `port_checked` as for server.run_worker."""
    from . import _native

    thread_count = config.blocking_threads or default_blocking_threads()
    native = _native.WsgiServer(
        EngineSettings.from_config(config, port_checked),
        app,
        sys.stderr,
        FileWrapper,
        logger,
        root_path=config.url_path_prefix or "",
        multiprocess=config.workers > 1,
        static_observer=static_observer(app, config),
    )
    if on_server is not None:
        on_server(native)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop_requested.set()

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    threads = [
        threading.Thread(target=native.serve_requests, name=f"uring-granian-wsgi-{index}", daemon=True)
        for index in range(thread_count)
    ]
    try:
        native.start()
        for thread in threads:
            thread.start()
        where = f"unix:{config.uds}" if config.uds else f"http://{_host(config.host)}:{native.bound_port}"
        logger.info(
            "Listening at %s (pid %d, WSGI, %d reactor thread(s), %d blocking thread(s))",
            where,
            os.getpid(),
            config.threads,
            thread_count,
        )
        if on_ready is not None:
            on_ready()
        while not stop_requested.wait(1.0):
            pass
        logger.info("Stopping: finishing in-flight requests (up to %ds)", config.graceful_timeout)
    finally:
        native.stop()
        native.wait()  # the reactors exit once in-flight exchanges are done (or cut at the graceful timeout)
        native.close()
        deadline = THREAD_JOIN_GRACE_SECONDS
        for thread in threads:
            if thread.is_alive():
                thread.join(deadline)
        if any(thread.is_alive() for thread in threads):
            logger.warning("WSGI threads still busy in the application at exit; leaving them behind")
        else:
            native.drop_references()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_OK


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
