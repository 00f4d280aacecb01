"""The WSGI app of the request-target tests, as tests/python/asgi/targets_app.py for ASGI: every request is answered
with what the app was shown of its target and Host, and its path is remembered (GET /calls lists them).

Every request but OPTIONS * runs under wsgiref.validate, so the environ of an absolute-form request must be one a
WSGI app can take (PATH_INFO starting with '/'). OPTIONS * has PATH_INFO '*', which the validator refuses: PEP 3333
has no word for a target without a path, and '*' is what other WSGI servers pass on too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

calls: list[str] = []
calls_lock = threading.Lock()


def seen(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/calls":
        with calls_lock:
            payload: Any = list(calls)
    else:
        with calls_lock:
            calls.append(path)
        body = b""
        # wsgiref.validate wants read() given a size; wsgi.input_terminated makes b"" the end, chunked or not.
        while chunk := environ["wsgi.input"].read(65536):
            body += chunk
        payload = {
            "method": environ["REQUEST_METHOD"],
            "path": path,
            "query": environ["QUERY_STRING"],
            "hosts": [environ["HTTP_HOST"]] if "HTTP_HOST" in environ else [],
            "header_names": sorted(key for key in environ if key.startswith("HTTP_")),
            "body": body.decode("latin-1"),
        }
    data = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


validated = validator(seen)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "*":
        return seen(environ, start_response)
    return validated(environ, start_response)
