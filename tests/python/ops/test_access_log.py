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
