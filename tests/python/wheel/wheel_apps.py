"""The apps the wheel test serves from the fresh venv: each answers with where the engine module was loaded
from, so the test knows the wheel's extension served it and not the worktree's editable install."""

from __future__ import annotations

from typing import Any

from uring_granian import _native

NATIVE = _native.__file__.encode()


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """HTTP: the extension's path; WebSocket: echoes every message until the client leaves."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-scheme", scope["scheme"].encode())]})
        await send({"type": "http.response.body", "body": NATIVE})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "bytes": message.get("bytes"), "text": message.get("text")})


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("X-Echo-Length", str(len(body)))])
    return [NATIVE]
