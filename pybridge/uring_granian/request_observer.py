"""Observe every HTTP request an application handles: the status the client got, the response body's size and the
time it took.

One thin wrapper serves both users of that information: `--metrics` (worker_metrics.py counts statuses and
latencies) and `--access-log` (access_log.py writes one line per request). It wraps only when one of them is
on, so the default path has no per-request cost. Requests a static route answers on the engine's reactors come
to the same observers through the native server (`static_observer`), as ASGI scopes or WSGI environs built from
the engine's request; requests the engine refuses by itself (400, 413, 431 ...) are not seen.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .config import Config

__all__ = [
    "UNANSWERED_STATUS",
    "ObservedRequest",
    "carry_observers",
    "observe_requests",
    "observers_of",
    "static_observer",
]

# The attribute of an observed app that lists its observers, innermost first (read by observers_of).
_OBSERVERS_ATTRIBUTE = "uring_granian_observers"

# What the bridge answers when the application fails, or returns, before its response started.
UNANSWERED_STATUS = 500
UNANSWERED_BODY_SIZE = len(b"Internal Server Error")  # the bridge's body for it (asgi_exchange.cpp, wsgi_response.cpp)


def _no_body(method: str, status: int) -> bool:
    """Whether the engine sends no body at all, whatever the app gave (RFC 9110: HEAD, 1xx, 204, 304)."""
    return method == "HEAD" or status < 200 or status in (204, 304)


class ObservedRequest:
    """What an observer learns about one finished request. `request` is the ASGI scope or the WSGI environ (an
    ASGI-shaped mapping for "static", the requests the engine answers from a static mount). `size` is the bytes of
    response body handed to the engine: what the client gets unless the connection breaks first."""

    __slots__ = ("interface", "request", "seconds", "size", "status")

    def __init__(
        self, interface: str, request: MutableMapping[str, Any], status: int, seconds: float, size: int = 0
    ) -> None:
        self.interface = interface
        self.request = request
        self.status = status
        self.seconds = seconds
        self.size = size


Observer = Callable[[ObservedRequest], None]


def observe_requests(app: Callable[..., Any], interface: str, observer: Observer) -> Callable[..., Any]:
    """`app` wrapped so that `observer` is called once per HTTP request it handles, after the response."""
    observed = _observed_wsgi(app, observer) if interface == "wsgi" else _observed_asgi(app, observer)
    return carry_observers(observed, (*observers_of(app), observer))


def observers_of(app: Callable[..., Any]) -> tuple[Observer, ...]:
    """The observers observe_requests put around `app` (and carry_observers kept through other wrappers)."""
    return tuple(getattr(app, _OBSERVERS_ATTRIBUTE, ()))


def carry_observers(app: Callable[..., Any], observers: tuple[Observer, ...]) -> Callable[..., Any]:
    """`app`, marked with `observers`: a wrapper put around an observed app keeps its observers visible."""
    if observers:
        setattr(app, _OBSERVERS_ATTRIBUTE, observers)
    return app


def static_observer(app: Callable[..., Any], config: Config) -> Callable[[Any, int, float, int], None] | None:
    """The callable the native server calls for each request a static route answered, as (scope or environ,
    status, seconds, size); None when there is no static route or nothing observes `app`, so the engine reports
    nothing and static requests cost what they cost without observers."""
    observers = observers_of(app)
    if not observers or not config.static_path_mount:
        return None
    interface = str(config.interface)
    rewrite: Callable[[Any], Any] | None = None
    if config.proxy_headers:
        # The app's requests pass through with_proxy_headers; these never reach the app, so rewrite them here.
        from .proxy_headers import request_rewriter

        rewrite = request_rewriter(interface, config.forwarded_allow_ips)

    def observe(request: MutableMapping[str, Any], status: int, seconds: float, size: int) -> None:
        if rewrite is not None:
            request = rewrite(request)
        observed = ObservedRequest(interface, request, status, seconds, size)
        for observer in observers:
            observer(observed)

    return observe


def _observed_asgi(app: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    async def observed(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0  # from http.response.start
        response_began = False  # a body (or pathsend) was sent: the status reached the client
        size = 0

        async def observed_send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, response_began, size
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
            elif kind == "http.response.body":
                response_began = True
                size += len(message.get("body", b""))
            elif kind == "http.response.pathsend":
                response_began = True
                await send(message)
                size += os.stat(message["path"]).st_size  # the engine sends the whole file
                return
            await send(message)

        try:
            await app(scope, receive, observed_send)
        finally:
            # The bridge holds the head back until the first body message: a failure or a return before it is
            # answered with 500 whatever status the app chose.
            if not response_began:
                status, size = UNANSWERED_STATUS, UNANSWERED_BODY_SIZE
            if _no_body(scope.get("method", ""), status):
                size = 0
            observer(ObservedRequest("asgi", scope, status, time.perf_counter() - started, size))

    return observed


def _observed_wsgi(app: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    def observed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = [UNANSWERED_STATUS]

        def observed_start_response(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        def report(size: int) -> None:
            if _no_body(environ.get("REQUEST_METHOD", ""), status[0]):
                size = 0
            observer(ObservedRequest("wsgi", environ, status[0], time.perf_counter() - started, size))

        try:
            body = app(environ, observed_start_response)
        except BaseException:
            status[0] = UNANSWERED_STATUS
            report(UNANSWERED_BODY_SIZE)
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(body, list | tuple):
            # The app's work is done: report now and hand the body over as it is, so the server's fast path for
            # lists still sees its own type.
            report(sum(len(chunk) for chunk in body))
            return cast("Iterable[bytes]", body)
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            # Handed over as it is, so the server's zero-copy path still sees its own type.
            report(_file_size_left(body))
            return cast("Iterable[bytes]", body)
        return _ReportOnClose(body, report)  # counted as the server iterates it

    return observed


def _file_size_left(wrapper: Any) -> int:
    """Bytes from a wsgi.file_wrapper's current position to the end of its file, which is what the server sends
    (zero-copy from a descriptor, else by reading it); 0 when the file-like can tell neither (not seekable)."""
    filelike = getattr(wrapper, "filelike", None)
    try:
        return max(0, os.fstat(filelike.fileno()).st_size - int(filelike.tell()))  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        pass
    try:
        position = int(filelike.tell())  # type: ignore[union-attr]
        end = int(filelike.seek(0, os.SEEK_END))  # type: ignore[union-attr]
        filelike.seek(position)  # type: ignore[union-attr]
        return max(0, end - position)
    except (AttributeError, OSError, ValueError):
        return 0


class _ReportOnClose:
    """A WSGI response iterable that reports the request when the server closes it (PEP 3333: always)."""

    def __init__(self, body: Iterable[bytes], report: Callable[[int], None]) -> None:
        self._body = body
        self._report: Callable[[int], None] | None = report
        self._size = 0

    def __iter__(self) -> Any:
        for chunk in self._body:
            self._size += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if self._report is not None:
                report, self._report = self._report, None
                report(self._size)
