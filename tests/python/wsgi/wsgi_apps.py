"""WSGI test apps, one per path; each is wrapped in wsgiref.validate.validator unless its test needs the raw
result object (the zero-copy file_wrapper path sees the FileWrapper itself, not the validator's iterator)."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.validate import validator

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

MARKERS = Path(os.environ.get("WSGI_TEST_MARKERS", "/tmp"))
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
JSON = [("Content-Type", "application/json")]

download_progress = {"produced": 0}
progress_lock = threading.Lock()


def query(environ: Environ) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(environ["QUERY_STRING"]).items()}


def json_response(start_response: StartResponse, value: Any, status: str = "200 OK") -> list[bytes]:
    body = json.dumps(value).encode()
    start_response(status, [*JSON, ("Content-Length", str(len(body)))])
    return [body]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def hello(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [*TEXT, ("Content-Length", "13")])
    return [b"Hello, World!"]


def environ_dump(environ: Environ, start_response: StartResponse) -> list[bytes]:
    shown: dict[str, Any] = {}
    for key, value in environ.items():
        if isinstance(value, (str, bool, int)):
            shown[key] = value
        elif key == "wsgi.version":
            shown[key] = list(value)
        else:
            shown[key] = f"<{type(value).__name__}>"
    shown["wsgi.errors.has_write"] = hasattr(environ["wsgi.errors"], "write")
    return json_response(start_response, shown)


def echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Reads the body with the wsgi.input method named by ?mode= and reports what it saw."""
    stream = environ["wsgi.input"]
    mode = query(environ).get("mode", "read")
    pieces: list[bytes]
    if mode == "read":
        pieces = [stream.read(1 << 30)]
    elif mode == "small_reads":
        pieces = []
        while piece := stream.read(7):
            pieces.append(piece)
    elif mode == "readline":
        pieces = []
        while line := stream.readline():
            pieces.append(line)
    elif mode == "readline_sized":
        pieces = []
        while line := stream.readline(5):
            pieces.append(line)
    elif mode == "readlines":
        pieces = stream.readlines()
    elif mode == "readlines_hint":
        pieces = stream.readlines(10)
        pieces.append(b"|")
        pieces.append(stream.read(1 << 30))
    else:  # iteration
        pieces = list(stream)
    data = b"".join(pieces)
    return json_response(start_response, {"pieces": len(pieces), "size": len(data), "data": data.decode("latin-1")})


def sink(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Streams the body through in 64 KiB reads: the server must not buffer it whole."""
    digest = hashlib.sha256()
    size = 0
    stream = environ["wsgi.input"]
    while chunk := stream.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return json_response(start_response, {"size": size, "sha256": digest.hexdigest(), "rss_kib": rss_kib()})


def download(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    params = query(environ)
    size, chunk_size = int(params["size"]), int(params.get("chunk", 256 * 1024))
    with progress_lock:
        download_progress["produced"] = 0
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    block = bytes(range(256)) * (chunk_size // 256)
    sent = 0
    while sent < size:
        # A new object per chunk (a full slice would be the same object): each is lent to the engine on its own.
        piece = block[: min(chunk_size, size - sent) - 1] + b"."
        sent += len(piece)
        with progress_lock:
            download_progress["produced"] = sent
        yield piece


def progress(environ: Environ, start_response: StartResponse) -> list[bytes]:
    with progress_lock:
        return json_response(start_response, dict(download_progress))


def write_callable(environ: Environ, start_response: StartResponse) -> list[bytes]:
    write = start_response("200 OK", TEXT)
    write(b"one,")
    write(b"")
    write(b"two,")
    return [b"three"]


def exc_info_before_start(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", TEXT)
    try:
        raise ValueError("failed before any body")
    except ValueError:
        start_response("503 Service Unavailable", TEXT, sys.exc_info())
    return [b"replaced by the error page"]


def exc_info_after_start(environ: Environ, start_response: StartResponse) -> list[bytes]:
    write = start_response("200 OK", TEXT)
    write(b"partial body")
    try:
        raise ValueError("failed after the head went out")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())  # must re-raise
    return [b"never sent"]


def error_before_start(environ: Environ, start_response: StartResponse) -> list[bytes]:
    raise RuntimeError("the app failed before start_response")


def error_after_start(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    yield b"first chunk"
    raise RuntimeError("the app failed mid-body")


def bad_header(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("X-Injected", "a\r\nSet-Cookie: evil=1")])
    return [b"never"]


class ClosingBody:
    """An iterable whose close() leaves a marker file; ?mode= decides how the response ends."""

    def __init__(self, marker: str, mode: str) -> None:
        self.marker, self.mode, self.sent = marker, mode, 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self.sent += 1
        if self.mode == "normal":
            if self.sent > 3:
                raise StopIteration
            return b"chunk,"
        if self.mode == "raise":
            if self.sent > 1:
                raise RuntimeError("failing iterable")
            return b"chunk,"
        time.sleep(0.005)  # "endless": runs until the client goes away
        return b"x" * 65536

    def close(self) -> None:
        # Written aside, then renamed: the test polls for the file and must never read it half-written.
        partial = MARKERS / f".close-{self.marker}"
        partial.write_text(f"{self.mode} {self.sent}")
        partial.rename(MARKERS / f"close-{self.marker}")


def closing(environ: Environ, start_response: StartResponse) -> ClosingBody:
    params = query(environ)
    start_response("200 OK", TEXT)
    return ClosingBody(params["id"], params["mode"])


def chunked(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    yield b"no content-length, "
    yield b"so chunked or close-delimited"


def file_response(environ: Environ, start_response: StartResponse) -> Any:
    params = query(environ)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if params.get("kind") == "bytesio":
        return environ["wsgi.file_wrapper"](io.BytesIO(b"in-memory file " * 1000), 4096)
    handle = open(params["path"], "rb")  # noqa: SIM115 - closed by the wrapper's close()
    handle.seek(int(params.get("offset", 0)))
    return environ["wsgi.file_wrapper"](handle)


def big(environ: Environ, start_response: StartResponse) -> list[bytes]:
    body = b"b" * (4 * 1024 * 1024)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def slow(environ: Environ, start_response: StartResponse) -> list[bytes]:
    time.sleep(float(query(environ).get("seconds", "1")))
    start_response("200 OK", TEXT)
    return [b"slow done"]


def thread_name(environ: Environ, start_response: StartResponse) -> list[bytes]:
    time.sleep(float(query(environ).get("seconds", "0")))
    return json_response(start_response, {"thread": threading.current_thread().name, "pid": os.getpid()})


def stats(environ: Environ, start_response: StartResponse) -> list[bytes]:
    from uring_granian import _native

    time.sleep(0.2)  # let the reactors hand back the last lent buffers
    gc.collect()
    stats = {"live": _native.live_objects(), "garbage": len(gc.garbage), "rss_kib": rss_kib()}
    return json_response(start_response, stats)


ROUTES: dict[str, WSGIApp] = {
    "/hello": hello,
    "/environ": environ_dump,
    "/echo": echo,
    "/sink": sink,
    "/download": download,
    "/progress": progress,
    "/write": write_callable,
    "/exc_before": exc_info_before_start,
    "/exc_after": exc_info_after_start,
    "/error_before": error_before_start,
    "/error_after": error_after_start,
    "/bad_header": bad_header,
    "/closing": closing,
    "/chunked": chunked,
    "/file_validated": file_response,
    "/big": big,
    "/slow": slow,
    "/thread": thread_name,
    "/__stats": stats,
}
VALIDATED: dict[str, WSGIApp] = {path: validator(route) for path, route in ROUTES.items()}
UNVALIDATED: dict[str, WSGIApp] = {"/file": file_response, "/bad_header_raw": bad_header}


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path in UNVALIDATED:
        return UNVALIDATED[path](environ, start_response)
    route = VALIDATED.get(path)
    if route is None:  # any other path: the environ, so SCRIPT_NAME/PATH_INFO splitting can be checked
        route = VALIDATED["/environ"]
    return route(environ, start_response)
