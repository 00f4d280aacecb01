"""The ASGI app of the request-target tests: every request is answered with what the app was shown of its target
and Host (tests/python/engine/target_requests.py reads it), and its path is remembered; GET /calls lists those
paths, so a test can tell that a refused request never reached the app."""

from __future__ import annotations

import json
from typing import Any

calls: list[str] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/calls":
        payload: Any = calls
    else:
        calls.append(scope["path"])
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "hosts": [value.decode("latin-1") for name, value in scope["headers"] if name == b"host"],
            "header_names": [name.decode("latin-1") for name, _ in scope["headers"]],
            "body": body.decode("latin-1"),
        }
    data = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})
