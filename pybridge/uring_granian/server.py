"""One worker's server: lifespan, the native engine on the running asyncio loop, signals and graceful stop.

`Server` is the embedded API (`await Server(app, port=...).serve()` inside a running loop); `run_worker` is what
`serve()` and each worker process call: it picks the loop, installs SIGINT/SIGTERM handlers and runs to the end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from .asgi import run_asgi
from .config import Config
from .constants import EXIT_OK, Interfaces, Loops, RuntimeModes
from .errors import StartupError
from .http import EngineSettings
from .lifespan import LifespanOff, LifespanOn
from .request_observer import static_observer

__all__ = ["Server", "run_worker"]

logger = logging.getLogger("uring_granian")

# Eager task start (3.12+): a handler that never suspends finishes inside the dispatch callback, without a trip
# through the loop's ready queue. Measured: less loop-thread CPU per hello request on 3.12 and 3.13 with both
# asyncio and uvloop. The variable (0 = off) exists to measure both ways.
EAGER_TASKS_ENV = "URING_GRANIAN_EAGER_TASKS"


def _eager_tasks_default() -> bool:
    if sys.version_info < (3, 12):
        return False
    return os.environ.get(EAGER_TASKS_ENV, "1") != "0"


class Server:
    """An ASGI server bound to the asyncio loop it is served from."""

    def __init__(
        self,
        app: Callable[..., Any] | None = None,
        config: Config | None = None,
        *,
        port_checked: bool = False,
        **options: Any,
    ) -> None:
        """`port_checked` is for a supervisor's workers: the supervisor made sure no other server listens on the
        port, which this worker shares with its siblings (see EngineSettings.from_config)."""
        if config is None:
            config = Config.from_options(app=app, **options)
        elif options:
            config = config.replace(**options)
        self.config = config.validate()
        if app is None:
            if isinstance(config.app, str):
                from .importer import load_app

                app = load_app(config.app, config.factory)
            else:
                app = config.app
        self.app = with_options(app, self.config)
        self.bound_port: int | None = None
        self._port_checked = port_checked
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False
        self._stop_event: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None
        self._native: Any = None  # the native AsgiServer while serving

    async def serve(self, on_ready: Callable[[], Any] | None = None) -> None:
        """Runs until stop()/request_stop(); lifespan startup before listening, shutdown after the last request."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stop_event = asyncio.Event()
        self._stopped = asyncio.Event()
        if self._stop_requested:
            self._stop_event.set()
        try:
            await self._serve(loop, on_ready)
        finally:
            self._stopped.set()

    async def _serve(self, loop: asyncio.AbstractEventLoop, on_ready: Callable[[], Any] | None) -> None:
        from . import _native

        config = self.config
        lifespan = LifespanOn(self.app) if config.lifespan else LifespanOff(self.app)
        await lifespan.startup()
        try:
            native = _native.AsgiServer(
                EngineSettings.from_config(config, self._port_checked),
                self.app,
                loop,
                run_asgi,
                lifespan.state,
                logger,
                root_path=config.url_path_prefix or "",
                max_concurrency=config.backpressure or 0,
                eager_tasks=_eager_tasks_default() and _supports_eager_start(loop),
                static_observer=static_observer(self.app, config),
                single_threaded=config.runtime_mode == RuntimeModes.ST,
            )
            native.start()
        except BaseException:
            await lifespan.shutdown()
            raise
        self._native = native
        try:
            loop.add_reader(native.wake_fd, native.drain)
            self.bound_port = native.bound_port
            where = f"unix:{config.uds}" if config.uds else f"http://{_host(config.host)}:{native.bound_port}"
            if native.single_threaded:
                logger.info("Listening at %s (pid %d, the reactor on the event loop's thread)", where, os.getpid())
            else:
                logger.info("Listening at %s (pid %d, %d reactor thread(s))", where, os.getpid(), config.threads)
            if on_ready is not None:
                on_ready()
            stop_event = self._stop_event
            if stop_event is not None:
                await stop_event.wait()
            logger.info("Stopping: finishing in-flight requests (up to %ds)", config.graceful_timeout)
        finally:
            self._native = None
            await _shut_down(loop, native)
            await lifespan.shutdown()

    def stats(self) -> list[dict[str, int]] | None:
        """The engine's counters, one dict per reactor (connections_accepted, connections_open, requests), or None
        when not serving. Safe from any thread (the worker's stats poller calls it)."""
        native = self._native
        return None if native is None else native.stats()

    def request_stop(self) -> None:
        """Asks a running serve() to stop gracefully. Safe from signal handlers and other threads."""
        self._stop_requested = True
        loop, event = self._loop, self._stop_event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    async def stop(self) -> None:
        """Stops gracefully and waits until serve() has returned."""
        self.request_stop()
        if self._stopped is not None:
            await self._stopped.wait()


async def _shut_down(loop: asyncio.AbstractEventLoop, native: Any) -> None:
    """Graceful stop: in-flight requests finish (the loop keeps serving them while the reactors drain), then the
    tasks still running (their clients were cut at the graceful timeout) are cancelled, and every reference dropped."""
    try:
        native.stop()
        if native.single_threaded:
            await native.finished  # the loop drives the reactor through its drain
            native.wait()  # returns at once: closes the listening sockets
        else:
            await loop.run_in_executor(None, native.wait)
        # What the reactors queued last (aborts of cut exchanges, released buffers), as a callback: never inside
        # this task, where an eager request task could not start.
        drained = loop.create_future()
        loop.call_soon(_drain_then_resolve, native, drained)
        await drained
        tasks = native.running_tasks()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        loop.remove_reader(native.wake_fd)
        native.close()


def _drain_then_resolve(native: Any, done: asyncio.Future[None]) -> None:
    try:
        native.drain()
    finally:
        if not done.done():
            done.set_result(None)


def _supports_eager_start(loop: asyncio.AbstractEventLoop) -> bool:
    # asyncio.Task(..., eager_start=True) needs 3.12 and a loop whose tasks are asyncio's own.
    return sys.version_info >= (3, 12) and isinstance(loop, asyncio.AbstractEventLoop)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _loop_factory(choice: Loops) -> Callable[[], asyncio.AbstractEventLoop]:
    if choice in (Loops.AUTO, Loops.UVLOOP):
        try:
            import uvloop
        except ImportError:
            if choice == Loops.UVLOOP:
                raise StartupError("--loop uvloop: uvloop is not installed") from None
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def with_options(app: Callable[..., Any], config: Config) -> Callable[..., Any]:
    """`app` as is, or wrapped for --access-log and --proxy-headers (no cost when they are off). The proxy layer
    is outermost, so the access log shows the client the proxy named."""
    interface = str(config.interface)
    if config.access_log and config.log:  # --no-log: no access line is written, so none is made
        from .access_log import AccessLog
        from .request_observer import observe_requests

        app = observe_requests(app, interface, AccessLog(config.access_log_fmt))
    if config.proxy_headers:
        from .proxy_headers import with_proxy_headers
        from .request_observer import carry_observers, observers_of

        # Static-route requests never pass through the proxy layer: their observers are the inner app's, and
        # static_observer rewrites those requests itself.
        app = carry_observers(with_proxy_headers(app, interface, config.forwarded_allow_ips), observers_of(app))
    return app


def run_worker(
    config: Config,
    app: Callable[..., Any],
    on_ready: Callable[[], Any] | None = None,
    on_server: Callable[[Any], Any] | None = None,
    port_checked: bool = False,
) -> int:
    """Serves `app` in this process until SIGINT/SIGTERM; returns the exit status. Raises StartupError.

    `on_server(server)` is called before serving with an object whose stats() gives the engine's counters (the
    Server, or the native WSGI server); the worker's stats poller reads them from there. `port_checked`: this is
    a supervisor's worker, see Server."""
    if config.tune_allocator:
        from .allocator import tune_allocator

        tune_allocator()  # before the engine and the app start their threads (their arenas)
    if config.interface == Interfaces.WSGI:
        from .wsgi import run_wsgi_worker  # no event loop in WSGI mode: a pool of threads

        return run_wsgi_worker(config, with_options(app, config), on_ready, on_server, port_checked)
    server = Server(app, config, port_checked=port_checked)
    if on_server is not None:
        on_server(server)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, server.request_stop)
        try:
            await server.serve(on_ready=on_ready)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    with asyncio.Runner(loop_factory=_loop_factory(config.loop)) as runner:
        runner.run(main())
    return EXIT_OK
