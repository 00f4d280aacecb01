"""The ASGI lifespan protocol (spec 2.0): startup before the server listens, shutdown after it stopped.

"auto" behaviour, as uvicorn's: an app that raises on the lifespan scope before answering startup does not
speak lifespan; that is logged and the server runs without it. An app that answers lifespan.startup.failed
stops the server from starting (StartupError with the app's message).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..errors import ProtocolError, StartupError

__all__ = ["LifespanOn"]

logger = logging.getLogger("uring_granian")

LIFESPAN_ASGI = {"version": "3.0", "spec_version": "2.0"}


class LifespanOn:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        # Shallow-copied into every request's scope["state"] by the bridge.
        self.state: dict[str, Any] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._startup_answered = asyncio.Event()
        self._shutdown_answered = asyncio.Event()
        self._startup_failure: str | None = None
        self._shutdown_failure: str | None = None
        self._supported = True
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Runs the app's startup; raises StartupError when the app reports lifespan.startup.failed."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self._events.put({"type": "lifespan.startup"})
        await self._startup_answered.wait()
        if self._startup_failure is not None:
            message = self._startup_failure or "no message"
            raise StartupError(f"the application's lifespan startup failed: {message}")

    async def shutdown(self) -> None:
        """Runs the app's shutdown (if the app speaks lifespan and is still listening); logs a failure."""
        if self._task is None or not self._supported or self._task.done():
            return
        await self._events.put({"type": "lifespan.shutdown"})
        await self._shutdown_answered.wait()
        if self._shutdown_failure is not None:
            logger.error("the application's lifespan shutdown failed: %s", self._shutdown_failure or "no message")
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": dict(LIFESPAN_ASGI), "state": self.state}
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as error:
            if not self._startup_answered.is_set():
                self._supported = False
                logger.info("ASGI lifespan is not supported by the application (%r); continuing without it", error)
            else:
                logger.error("Exception in the application's lifespan", exc_info=error)
            if not isinstance(error, Exception):
                raise
        finally:
            # An app that returns (or raises) without answering must not leave the server waiting.
            self._startup_answered.set()
            self._shutdown_answered.set()

    async def _receive(self) -> dict[str, Any]:
        return await self._events.get()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "lifespan.startup.complete" or kind == "lifespan.startup.failed":
            if self._startup_answered.is_set():
                raise ProtocolError(f"{kind} sent after startup was already answered")
            if kind == "lifespan.startup.failed":
                self._startup_failure = str(message.get("message", ""))
            self._startup_answered.set()
        elif kind == "lifespan.shutdown.complete" or kind == "lifespan.shutdown.failed":
            if not self._startup_answered.is_set():
                raise ProtocolError(f"{kind} sent before startup was answered")
            if kind == "lifespan.shutdown.failed":
                self._shutdown_failure = str(message.get("message", ""))
            self._shutdown_answered.set()
        else:
            raise ProtocolError(f"unexpected lifespan message type {kind!r}")
