"""ASGI app for the worker tests: answers with its worker's PID; lifespan events leave marker files.

UG_TEST_MARKERS names the directory for the markers (startup-<pid>, shutdown-<pid>, slow-<pid>); the value of an
x-request-id header is appended to received-<pid> when the request reaches the app.
GET /slow?SECONDS sleeps that long (default 0.2 s) before answering; GET /block?SECONDS blocks the worker's event loop
(a synchronous sleep: the worker cannot react to signals meanwhile). GET /grow?MIB keeps MIB more MiB of touched
memory for the rest of the worker's life (for --workers-max-rss); GET /env?NAME answers the variable's value (or
"-"); GET /missing answers 404.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

MARKERS = Path(os.environ.get("UG_TEST_MARKERS", "."))
_HELD: list[bytes] = []  # what /grow allocated


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                (MARKERS / f"startup-{os.getpid()}").touch()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                (MARKERS / f"shutdown-{os.getpid()}").touch()
                await send({"type": "lifespan.shutdown.complete"})
                return
    request_id = dict(scope["headers"]).get(b"x-request-id")
    if request_id is not None:
        with (MARKERS / f"received-{os.getpid()}").open("ab") as received:
            received.write(request_id + b"\n")
    if scope["path"] == "/block":
        (MARKERS / f"block-{os.getpid()}").touch()
        time.sleep(float(scope["query_string"] or b"30"))  # noqa: ASYNC251 - blocking the loop is the point
    if scope["path"] == "/slow":
        (MARKERS / f"slow-{os.getpid()}").touch()  # the request is in flight
        await asyncio.sleep(float(scope["query_string"] or b"0.2"))
    status, body = 200, str(os.getpid()).encode()
    if scope["path"] == "/grow":
        _HELD.append(b"\x01" * (int(scope["query_string"] or b"64") << 20))  # filled: every page is resident
    elif scope["path"] == "/env":
        body = os.environ.get(scope["query_string"].decode(), "-").encode()
    elif scope["path"] == "/missing":
        status = 404
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
