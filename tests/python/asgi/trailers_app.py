"""ASGI routes for the http.response.trailers tests: /trailers?N sends N body pieces then trailers in two messages
(more_trailers); /content-length does the same with a Content-Length (HTTP/1.1 has no trailer section for it);
/unannounced and /early break the extension's rules; /forgotten announces trailers and never sends them."""

from __future__ import annotations

import json
from typing import Any

TRAILERS_EXTENSION = "http.response.trailers"


async def start(send: Any, *, trailers: bool = True, headers: tuple = ()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), *headers],
            "trailers": trailers,
        }
    )


async def trailers_route(scope: dict[str, Any], send: Any, pieces: int, headers: tuple = ()) -> None:
    await start(send, headers=headers)
    for index in range(pieces):
        await send({"type": "http.response.body", "body": b"piece%d," % index, "more_body": index + 1 < pieces})
    if pieces == 0:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")], "more_trailers": True})
    await send(
        {
            "type": "http.response.trailers",
            "headers": [(b"grpc-status", b"0"), (b"content-length", b"1")],  # the latter is never a trailer
            "more_trailers": False,
        }
    )


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Served with --no-lifespan: only http scopes arrive."""
    path, query = scope["path"], scope["query_string"].decode()
    if path == "/trailers":
        await trailers_route(scope, send, int(query or 1))
    elif path == "/content-length":
        await trailers_route(scope, send, 1, headers=((b"content-length", b"7"),))
    elif path == "/extensions":
        await start(send, trailers=False)
        body = json.dumps({"offered": TRAILERS_EXTENSION in scope.get("extensions", {})}).encode()
        await send({"type": "http.response.body", "body": body})
    elif path == "/unannounced":
        await start(send, trailers=False)
        await send({"type": "http.response.body", "body": b"done"})
        await send({"type": "http.response.trailers", "headers": []})
    elif path == "/early":
        await start(send)
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await send({"type": "http.response.trailers", "headers": []})
    elif path == "/forgotten":
        await start(send)
        await send({"type": "http.response.body", "body": b"all of it"})
