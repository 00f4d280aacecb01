"""Apps that answer with what they were told about the connection, as JSON."""

from __future__ import annotations

import json
from typing import Any


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            event = (await receive())["type"]
            await send({"type": f"{event}.complete"})  # lifespan.startup.complete, lifespan.shutdown.complete
            if event == "lifespan.shutdown":
                return
    seen = {"scheme": scope["scheme"], "tls": scope["extensions"].get("tls"), "http_version": scope["http_version"]}
    body = json.dumps(seen).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = json.dumps({"url_scheme": environ["wsgi.url_scheme"], "HTTPS": environ.get("HTTPS")}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
