"""The example ASGI application that `scripts/serve` runs.

Routes:
  GET  /            "Hello, World!"
  GET  /json        a small JSON document
  POST /echo        the request body, streamed back
  GET  /stream      a chunked response in ten parts
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _echo(receive: Receive, send: Send) -> None:
    headers = [(b"content-type", b"application/octet-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
        await send({"type": "http.response.body", "body": message.get("body", b""), "more_body": more})
        if not more:
            return


async def _stream(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for part in range(10):
        await send({"type": "http.response.body", "body": f"part {part}\n".encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path, method = scope["path"], scope["method"]
    if path == "/" and method in ("GET", "HEAD"):
        await _respond(send, 200, b"text/plain; charset=utf-8", b"Hello, World!")
    elif path == "/json" and method in ("GET", "HEAD"):
        document = {"server": "uring_granian", "client": scope.get("client"), "http_version": scope["http_version"]}
        await _respond(send, 200, b"application/json", json.dumps(document).encode())
    elif path == "/echo" and method == "POST":
        await _echo(receive, send)
    elif path == "/stream" and method == "GET":
        await _stream(send)
    else:
        await _respond(send, 404, b"text/plain; charset=utf-8", b"Not Found\n")
