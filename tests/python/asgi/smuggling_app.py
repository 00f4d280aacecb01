"""The ASGI app of the smuggling tests: it answers every request with its body and remembers the path of each
request it is called for; GET /calls lists them in order, so a test can tell which requests never reached it."""

from __future__ import annotations

import json
from typing import Any

calls: list[str] = []


async def read_body(receive: Any) -> bytes | None:
    """The whole request body, or None when the request ended without one (refused or disconnected)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["path"] == "/calls":
        body: bytes | None = json.dumps(calls).encode()
    else:
        # Recorded before the first await: requests are recorded in the order the server handed them over.
        calls.append(scope["path"])
        body = await read_body(receive)
        if body is None:
            return
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
