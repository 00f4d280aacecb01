"""Observe every HTTP request an application handles: the status the client got and the time it took.

One thin wrapper serves both users of that information: `--metrics` (worker_metrics.py counts statuses and
latencies) and `--access-log` (access_log.py writes one line per request). It wraps only when one of them is
on, so the default path has no per-request cost. Requests the engine answers by itself (400, 413, 431 ...)
never reach the application and are not seen here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, cast

__all__ = ["UNANSWERED_STATUS", "ObservedRequest", "observe_requests"]

# What the bridge answers when the application fails, or returns, before its response started.
UNANSWERED_STATUS = 500


class ObservedRequest:
    """What an observer learns about one finished request. `request` is the ASGI scope or the WSGI environ."""

    __slots__ = ("interface", "request", "seconds", "status")

    def __init__(self, interface: str, request: MutableMapping[str, Any], status: int, seconds: float) -> None:
        self.interface = interface
        self.request = request
        self.status = status
        self.seconds = seconds


Observer = Callable[[ObservedRequest], None]


def observe_requests(app: Callable[..., Any], interface: str, observer: Observer) -> Callable[..., Any]:
    """`app` wrapped so that `observer` is called once per HTTP request it handles, after the response."""
    if interface == "wsgi":
        return _observed_wsgi(app, observer)
    return _observed_asgi(app, observer)


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

        async def observed_send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, response_began
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
            elif kind in ("http.response.body", "http.response.pathsend"):
                response_began = True
            await send(message)

        try:
            await app(scope, receive, observed_send)
        finally:
            # The bridge holds the head back until the first body message: a failure or a return before it is
            # answered with 500 whatever status the app chose.
            observer(
                ObservedRequest(
                    "asgi", scope, status if response_began else UNANSWERED_STATUS, time.perf_counter() - started
                )
            )

    return observed


def _observed_wsgi(app: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    def observed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status = [UNANSWERED_STATUS]

        def observed_start_response(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        def report() -> None:
            observer(ObservedRequest("wsgi", environ, status[0], time.perf_counter() - started))

        try:
            body = app(environ, observed_start_response)
        except BaseException:
            status[0] = UNANSWERED_STATUS
            report()
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(body, list | tuple) or (isinstance(file_wrapper, type) and isinstance(body, file_wrapper)):
            # The app's work is done (a file is sent by the engine): report now and hand the body over as it is,
            # so the server's fast paths for lists and zero-copy files still see their own types.
            report()
            return cast("Iterable[bytes]", body)
        return _ReportOnClose(body, report)

    return observed


class _ReportOnClose:
    """A WSGI response iterable that reports the request when the server closes it (PEP 3333: always)."""

    def __init__(self, body: Iterable[bytes], report: Callable[[], None]) -> None:
        self._body = body
        self._report: Callable[[], None] | None = report

    def __iter__(self) -> Any:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if self._report is not None:
                report, self._report = self._report, None
                report()
