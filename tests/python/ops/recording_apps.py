"""ASGI and WSGI apps that record every call: the path of each HTTP request they get is appended to
calls-<pid> in UG_TEST_MARKERS, and the answer names the interface and the path ("asgi /x"). Tests read the files
to prove which requests never reached the application (the engine-served static route)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

MARKERS = Path(os.environ.get("UG_TEST_MARKERS", "."))


def _record(path: str) -> None:
    with (MARKERS / f"calls-{os.getpid()}").open("a", encoding="utf-8") as calls:
        calls.write(path + "\n")


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    _record(scope["path"])
    body = f"asgi {scope['path']}".encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    _record(environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"wsgi {environ['PATH_INFO']}".encode()]


def recorded_calls(markers: Path) -> list[str]:
    """Every path the apps of a test's server were called with, over all its workers."""
    return [line for path in sorted(markers.glob("calls-*")) for line in path.read_text().splitlines()]
