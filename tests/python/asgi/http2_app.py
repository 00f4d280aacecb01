"""ASGI routes for the HTTP/2 tests: a reader that stops reading (request-body back-pressure), and counters the test
reads back over another stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

observed: dict[str, Any] = {"received_before_resume": 0}
resume = asyncio.Event()


async def respond(send: Any, payload: Any) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def slow_reader(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Takes one body message, then waits for /resume before reading the rest: the client must be held back."""
    size = 0
    message = await receive()
    size += len(message.get("body", b""))
    observed["received_before_resume"] = size
    await resume.wait()
    while message.get("more_body"):
        message = await receive()
        size += len(message.get("body", b""))
    await respond(send, {"size": size})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Served with --no-lifespan: only http scopes arrive."""
    if scope["path"] == "/slow-reader":
        await slow_reader(scope, receive, send)
    elif scope["path"] == "/resume":
        resume.set()
        await respond(send, {})
    else:
        await respond(send, observed)
