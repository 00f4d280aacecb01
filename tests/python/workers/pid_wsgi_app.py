"""WSGI app for the worker tests: answers with its worker's PID (pid_app.py's ASGI answer, for --interface wsgi)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

MARKERS = Path(os.environ.get("UG_TEST_MARKERS", "."))


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    request_id = environ.get("HTTP_X_REQUEST_ID")
    if request_id is not None:  # as pid_app.py does: which requests reached an app
        with (MARKERS / f"received-{os.getpid()}").open("a") as received:
            received.write(request_id + "\n")
    body = str(os.getpid()).encode()
    start_response("200 OK", [("content-type", "text/plain"), ("content-length", str(len(body)))])
    return [body]
