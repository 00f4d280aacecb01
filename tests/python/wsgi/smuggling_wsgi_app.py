"""The WSGI app of the smuggling tests: it answers every request with its body and remembers the path of each
request it is called for; GET /calls lists them in order, so a test can tell which requests never reached it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

calls: list[str] = []
calls_lock = threading.Lock()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/calls":
        with calls_lock:
            body = json.dumps(calls).encode()
    else:
        # Recorded before the body is read: requests are recorded in the order the server handed them over.
        with calls_lock:
            calls.append(path)
        body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]
