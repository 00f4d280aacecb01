"""--access-log writes one line per request, in --access-log-fmt, over Granian's atoms (ASGI and WSGI)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from worker_processes import RunningServer, wait_until

FORMAT = (
    "AL %(addr)s|%(method)s|%(path)s|%(query_string)s|%(status)d|%(protocol)s|%(scheme)s|"
    "%(header{user-agent})s|%(header{x-missing})s|%(dt_ms).3f|%(time)s"
)
LINE = re.compile(
    r"AL 127\.0\.0\.1\|(?P<method>[A-Z]+)\|(?P<path>[^|]*)\|(?P<query>[^|]*)\|(?P<status>\d{3})\|HTTP/1\.1\|http\|"
    r"(?P<agent>[^|]*)\|-\|(?P<dt>\d+\.\d{3})\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"
)

WSGI_APP = '''
def app(environ, start_response):
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"wsgi"]
'''


def access_lines(server: RunningServer) -> list[re.Match[str]]:
    return [match for line in server.log.splitlines() if (match := LINE.search(line))]


def check_lines(server: RunningServer) -> None:
    with httpx.Client(headers={"user-agent": "access-test/1"}) as client:
        assert client.get(server.url("/pid?x=1&y=2")).status_code == 200
        assert client.post(server.url("/missing"), content=b"body").status_code == 404
    lines = wait_until(lambda: (found := access_lines(server)) and len(found) >= 2 and found, 10, "two access lines")
    first, second = lines[0], lines[1]
    assert (first["method"], first["path"], first["query"], first["status"]) == ("GET", "/pid", "x=1&y=2", "200")
    assert (second["method"], second["path"], second["status"]) == ("POST", "/missing", "404")
    assert first["agent"] == "access-test/1"
    assert float(first["dt"]) >= 0.0


def test_asgi_access_log_lines(launch: Callable[..., RunningServer]) -> None:
    server = launch("--access-log", "--access-log-fmt", FORMAT)
    check_lines(server)


def test_wsgi_access_log_lines(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    (tmp_path / "access_wsgi_app.py").write_text(WSGI_APP)
    server = launch(
        "--interface", "wsgi", "--access-log", "--access-log-fmt", FORMAT, app="access_wsgi_app:app", cwd=tmp_path
    )
    check_lines(server)


def test_no_access_log_by_default(launch: Callable[..., RunningServer]) -> None:
    server = launch()
    with httpx.Client() as client:
        assert client.get(server.url("/pid")).status_code == 200
    assert access_lines(server) == []
    assert "GET /pid" not in server.log


# --- %(response_size)d: the bytes of response body sent ------------------------------------------------------------
SIZE_FORMAT = "SZ %(method)s %(path)s %(status)d %(response_size)d"
SIZE_LINE = re.compile(r"SZ (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<size>\d+)$")
FILE_BYTES = b"f" * 5000

ASGI_SIZES_APP = '''
import os

FILE = os.path.join(os.path.dirname(__file__), "file.bin")


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/fail":
        raise RuntimeError("before the response")
    await send({"type": "http.response.start", "status": 304 if path == "/not-modified" else 200, "headers": []})
    if path == "/file":
        await send({"type": "http.response.pathsend", "path": FILE})
        return
    await send({"type": "http.response.body", "body": b"a" * 1000, "more_body": True})
    await send({"type": "http.response.body", "body": b"b" * 234})
'''

WSGI_SIZES_APP = '''
import io
import os

FILE = os.path.join(os.path.dirname(__file__), "file.bin")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if path == "/file":
        return environ["wsgi.file_wrapper"](open(FILE, "rb"))
    if path == "/generator":
        return (bytes(100) for _ in range(7))
    if path == "/bytesio":  # a file-like without a descriptor: read by the server, from its position on
        stream = io.BytesIO(bytes(300))
        stream.seek(50)
        return environ["wsgi.file_wrapper"](stream)
    return [b"a" * 1000, b"b" * 234]
'''


def size_lines(server: RunningServer, count: int) -> list[tuple[str, str, str, int]]:
    def found() -> list[tuple[str, str, str, int]] | None:
        lines = [m for line in server.log.splitlines() if (m := SIZE_LINE.search(line))]
        return [(m["method"], m["path"], m["status"], int(m["size"])) for m in lines] if len(lines) >= count else None

    return wait_until(found, 10, f"{count} access lines with a size")


def test_asgi_response_size_is_the_body_sent(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    (tmp_path / "sizes_asgi_app.py").write_text(ASGI_SIZES_APP)
    (tmp_path / "file.bin").write_bytes(FILE_BYTES)
    server = launch("--access-log", "--access-log-fmt", SIZE_FORMAT, app="sizes_asgi_app:app", cwd=tmp_path)
    with httpx.Client() as client:
        assert len(client.get(server.url("/chunks")).content) == 1234
        assert client.get(server.url("/file")).content == FILE_BYTES
        assert client.head(server.url("/chunks")).content == b""
        assert client.get(server.url("/not-modified")).status_code == 304
        assert client.get(server.url("/fail")).status_code == 500
    assert size_lines(server, 5) == [
        ("GET", "/chunks", "200", 1234),
        ("GET", "/file", "200", len(FILE_BYTES)),
        ("HEAD", "/chunks", "200", 0),  # the engine sends no body for HEAD
        ("GET", "/not-modified", "304", 0),
        ("GET", "/fail", "500", len(b"Internal Server Error")),
    ]


def test_wsgi_response_size_is_the_body_sent(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    (tmp_path / "sizes_wsgi_app.py").write_text(WSGI_SIZES_APP)
    (tmp_path / "file.bin").write_bytes(FILE_BYTES)
    server = launch(
        "--interface", "wsgi", "--access-log", "--access-log-fmt", SIZE_FORMAT, app="sizes_wsgi_app:app", cwd=tmp_path
    )
    with httpx.Client() as client:
        assert len(client.get(server.url("/list")).content) == 1234
        assert len(client.get(server.url("/generator")).content) == 700
        assert client.get(server.url("/file")).content == FILE_BYTES
        assert len(client.get(server.url("/bytesio")).content) == 250
        assert client.head(server.url("/list")).content == b""
    assert size_lines(server, 5) == [
        ("GET", "/list", "200", 1234),
        ("GET", "/generator", "200", 700),
        ("GET", "/file", "200", len(FILE_BYTES)),
        ("GET", "/bytesio", "200", 250),
        ("HEAD", "/list", "200", 0),
    ]
