"""The coroutine each request runs as: the app, plus what the bridge must do when it returns or raises."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._native import AsgiSession

__all__ = ["logger", "run_asgi"]

logger = logging.getLogger("uring_granian")

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[..., Awaitable[None]]], Awaitable[None]
]


async def run_asgi(app: ASGIApp, scope: MutableMapping[str, Any], exchange: AsgiSession) -> None:
    """Runs as a plain asyncio Task (loop.create_task, or asyncio.Task(eager_start=True)); `exchange` is the
    http request's or the WebSocket connection's native object (an AsgiExchange or an AsgiWebSocket)."""
    try:
        await app(scope, exchange.receive, exchange.send)
    except BaseException as error:
        if exchange.app_failed(error):
            logger.error("Exception in ASGI application (%s %s)", _method(scope), scope.get("path"), exc_info=error)
        if not isinstance(error, Exception):
            raise  # cancellation, KeyboardInterrupt and SystemExit keep propagating
    else:
        # What the bridge answered for a connection the app left unfinished: an error (no response, a cut one),
        # or, for a WebSocket the app did not accept, just a note.
        note = exchange.app_returned()
        if note is not None:
            level, line = note
            logger.log(level, "%s (%s %s)", line, _method(scope), scope.get("path"))


def _method(scope: MutableMapping[str, Any]) -> str:
    """What log lines show before the path: the http method, or WEBSOCKET."""
    return str(scope.get("method", "WEBSOCKET"))
