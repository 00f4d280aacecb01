"""WSGI app for the metrics test: each route returns its body in a different shape the server treats differently."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any


def _stream() -> Iterator[bytes]:
    yield b"stream-"
    yield b"ed"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("before the response started")
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"missing"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/stream":
        return _stream()  # iterated, then closed by the server
    if path == "/file":
        return environ["wsgi.file_wrapper"](open(__file__, "rb"))  # noqa: SIM115 - the server closes it
    return [b"list"]
