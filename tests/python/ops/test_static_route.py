"""--static-path-route/--static-path-mount: files answered by the engine on its reactor threads, never by the app.

Real server processes (ASGI and WSGI) over real sockets. The app (recording_apps.py) writes down every request it
gets, so each test can check that no static request reached Python -- and that everything else still does.
Traversal attempts go through http.client, which sends the request path exactly as written (httpx would resolve
"../" before sending).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from recording_apps import recorded_calls
from worker_processes import RunningServer, free_port, wait_until

pytestmark = pytest.mark.timeout(120)

HERE = Path(__file__).parent
STYLE = b"body { color: rebeccapurple }\n"
SCRIPT = b"console.log('static');\n"
DATA = b'{"served": "by the engine"}\n'
SECRET = b"outside the mount\n"


@pytest.fixture(params=["asgi", "wsgi"])
def interface(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mount(tmp_path: Path) -> Path:
    """<tmp>/mount is served; <tmp>/outside/secret.txt must stay out of reach, also through mount/escape."""
    root = tmp_path / "mount"
    (root / "sub").mkdir(parents=True)
    (root / "style.css").write_bytes(STYLE)
    (root / "app.js").write_bytes(SCRIPT)
    (root / "sub" / "data.json").write_bytes(DATA)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    (root / "escape").symlink_to("../outside/secret.txt")
    return root


def serve(launch: Callable[..., RunningServer], interface: str, mount: Path, *options: str) -> RunningServer:
    ready = "Supervisor {pid} ready" if "--workers" in options else "Listening at"
    return launch(
        "--interface",
        interface,
        "--static-path-mount",
        str(mount),
        *options,
        app=f"recording_apps:{interface}_app",
        cwd=HERE,
        ready=ready,
    )


def raw_get(server: RunningServer, path: str) -> tuple[int, bytes]:
    """GET with the path sent byte for byte as given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_files_are_answered_by_the_engine(launch: Callable[..., RunningServer], interface: str, mount: Path) -> None:
    server = serve(launch, interface, mount)
    with httpx.Client(timeout=10) as client:
        css = client.get(server.url("/static/style.css"))
        assert css.status_code == 200
        assert css.content == STYLE
        assert css.headers["content-type"].startswith("text/css")
        assert css.headers["content-length"] == str(len(STYLE))
        assert css.headers["cache-control"] == "max-age=86400"  # Granian's default --static-path-expires
        assert css.headers["accept-ranges"] == "bytes"
        etag, last_modified = css.headers["etag"], css.headers["last-modified"]

        data = client.get(server.url("/static/sub/data.json"))
        assert (data.status_code, data.content) == (200, DATA)
        assert data.headers["content-type"].startswith("application/json")
        assert client.get(server.url("/static/app.js")).content == SCRIPT

        not_modified = client.get(server.url("/static/style.css"), headers={"if-none-match": etag})
        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert not_modified.headers["etag"] == etag
        since = client.get(server.url("/static/style.css"), headers={"if-modified-since": last_modified})
        assert since.status_code == 304

        part = client.get(server.url("/static/style.css"), headers={"range": "bytes=7-11"})
        assert (part.status_code, part.content) == (206, STYLE[7:12])
        assert part.headers["content-range"] == f"bytes 7-11/{len(STYLE)}"
        tail = client.get(server.url("/static/style.css"), headers={"range": "bytes=-6"})
        assert (tail.status_code, tail.content) == (206, STYLE[-6:])
        beyond = client.get(server.url("/static/style.css"), headers={"range": "bytes=5000-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(STYLE)}"

        head = client.head(server.url("/static/style.css"))
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(STYLE))

        for missing in ("/static/nope.css", "/static/sub", "/static", "/static/"):
            assert client.get(server.url(missing)).status_code == 404, missing
        assert recorded_calls(server.markers) == []

        # Everything not under the route on a segment boundary is the app's.
        assert client.get(server.url("/staticx/style.css")).text == f"{interface} /staticx/style.css"
        assert client.get(server.url("/other")).text == f"{interface} /other"
        assert client.get(server.url("/")).text == f"{interface} /"
    assert recorded_calls(server.markers) == ["/staticx/style.css", "/other", "/"]
    assert server.stop() == 0


def absolute_form_get(server: RunningServer, target: str) -> tuple[bytes, bytes]:
    """GET with an absolute-form target and another Host, on a connection closed after it: (status line, body)."""
    request = f"GET {target} HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body


def test_absolute_form_targets_are_served_as_their_path(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    """RFC 9112 3.2.2: GET http://host/static/x is GET /static/x, so the engine serves the file; the rest is the
    app's, under its origin-form path."""
    server = serve(launch, interface, mount)
    status, body = absolute_form_get(server, "http://files.example/static/style.css")
    assert (status, body) == (b"HTTP/1.1 200 OK", STYLE)
    assert recorded_calls(server.markers) == []
    status, body = absolute_form_get(server, "http://files.example/other?x=1")
    assert (status, body) == (b"HTTP/1.1 200 OK", f"{interface} /other".encode())
    assert recorded_calls(server.markers) == ["/other"]
    assert server.stop() == 0


def test_traversal_is_refused(launch: Callable[..., RunningServer], interface: str, mount: Path) -> None:
    server = serve(launch, interface, mount)
    refused = {
        "/static/../outside/secret.txt": 404,
        "/static/sub/../../outside/secret.txt": 404,
        "/static/%2e%2e/outside/secret.txt": 404,
        "/static/%2E%2E/%2e%2e/outside/secret.txt": 404,
        "/static/..%2foutside%2fsecret.txt": 404,
        "/static/sub/%2e%2e%2f%2e%2e%2foutside/secret.txt": 404,
        "/static/%00style.css": 404,
        "/static/escape": 403,  # a symlink leaving the mount
    }
    for path, status in refused.items():
        got, body = raw_get(server, path)
        assert got == status, path
        assert SECRET not in body
    assert raw_get(server, "/static/./sub//data.json") == (200, DATA)  # harmless spellings still work
    assert recorded_calls(server.markers) == []
    assert server.stop() == 0


def test_request_bodies_under_the_route_are_discarded(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    """Answered before its body was read, a request must not leave the body to be parsed as the next request."""
    server = serve(launch, interface, mount)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        fake_request = b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n"  # would reach the app if the body were parsed
        connection.request("POST", "/static/style.css", body=fake_request * 4000)
        response = connection.getresponse()
        assert response.status == 405
        assert response.getheader("allow") == "GET, HEAD"
        response.read()
        connection.request("GET", "/static/app.js", body=fake_request)  # a GET with a body is served
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, SCRIPT)
        connection.request("GET", "/static/style.css")  # the same connection is still in step
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, STYLE)
        connection.request("POST", "/echo", body=b"to the app")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, f"{interface} /echo".encode())
    finally:
        connection.close()
    assert recorded_calls(server.markers) == ["/echo"]
    assert server.stop() == 0


def test_route_and_expires_options(launch: Callable[..., RunningServer], mount: Path) -> None:
    server = serve(launch, "asgi", mount, "--static-path-route", "/assets/", "--static-path-expires", "0")
    with httpx.Client(timeout=10) as client:
        served = client.get(server.url("/assets/style.css"))
        assert (served.status_code, served.content) == (200, STYLE)
        assert "cache-control" not in served.headers  # 0: no Cache-Control at all
        assert client.get(server.url("/static/style.css")).text == "asgi /static/style.css"
    assert recorded_calls(server.markers) == ["/static/style.css"]
    assert server.stop() == 0

    server = serve(launch, "wsgi", mount, "--static-path-expires", "3600")
    assert httpx.get(server.url("/static/style.css"), timeout=10).headers["cache-control"] == "max-age=3600"
    assert server.stop() == 0


def test_several_mounts_pair_by_position_and_the_longest_route_wins(
    launch: Callable[..., RunningServer], interface: str, mount: Path, tmp_path: Path
) -> None:
    """Granian's --static-path-route/--static-path-mount pairs; a nested route is served from its own directory."""
    images = tmp_path / "images"
    images.mkdir()
    (images / "logo.svg").write_bytes(b"<svg/>\n")
    server = launch(
        "--interface", interface,
        "--static-path-route", "/static", "--static-path-mount", str(mount),
        "--static-path-route", "/static/img", "--static-path-mount", str(images),
        "--static-path-route", "/media/", "--static-path-mount", str(mount / "sub"),
        app=f"recording_apps:{interface}_app", cwd=HERE, ready="Listening at",
    )  # fmt: skip
    with httpx.Client(timeout=10) as client:
        assert client.get(server.url("/static/style.css")).content == STYLE
        logo = client.get(server.url("/static/img/logo.svg"))
        assert (logo.status_code, logo.content) == (200, b"<svg/>\n")
        assert logo.headers["content-type"].startswith("image/svg+xml")
        assert client.get(server.url("/static/img/style.css")).status_code == 404  # not in images/
        assert client.get(server.url("/media/data.json")).content == DATA
        assert recorded_calls(server.markers) == []
        assert client.get(server.url("/mediax/data.json")).text == f"{interface} /mediax/data.json"
        assert client.get(server.url("/static/imgx")).status_code == 404  # /static's, no such file
    assert recorded_calls(server.markers) == ["/mediax/data.json"]
    assert server.stop() == 0


def test_dir_to_file_serves_the_named_file_for_a_directory(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    (mount / "sub" / "index.html").write_bytes(b"<p>sub index</p>\n")
    (mount / "index.html").write_bytes(b"<p>root index</p>\n")
    server = serve(launch, interface, mount, "--static-path-dir-to-file", "index.html")
    with httpx.Client(timeout=10) as client:
        for path in ("/static/sub/", "/static/sub"):  # both spellings: served directly, no redirect
            got = client.get(server.url(path))
            assert (got.status_code, got.content) == (200, b"<p>sub index</p>\n"), path
            assert got.headers["content-type"].startswith("text/html")
        assert client.get(server.url("/static/")).content == b"<p>root index</p>\n"
        (mount / "empty").mkdir()
        assert client.get(server.url("/static/empty/")).status_code == 404  # no such file in it: 404 as before
    assert raw_get(server, "/static/sub/%2e%2e/%2e%2e/outside/")[0] == 404
    assert recorded_calls(server.markers) == []
    assert server.stop() == 0


@pytest.mark.slow
def test_a_64_mib_file_arrives_intact_from_every_worker(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    big = mount / "big.bin"
    digest = hashlib.sha256()
    with big.open("wb") as file:
        for _ in range(64):
            block = os.urandom(1 << 20)
            digest.update(block)
            file.write(block)
    server = serve(launch, interface, mount, "--workers", "2")
    for _ in range(3):  # new connections: SO_REUSEPORT spreads them over both workers
        received = hashlib.sha256()
        size = 0
        with httpx.stream("GET", server.url("/static/big.bin"), headers={"connection": "close"}, timeout=30) as got:
            assert got.status_code == 200
            assert got.headers["content-length"] == str(64 << 20)
            for chunk in got.iter_bytes():
                received.update(chunk)
                size += len(chunk)
        assert (size, received.hexdigest()) == (64 << 20, digest.hexdigest())
    etags = {
        httpx.head(server.url("/static/big.bin"), headers={"connection": "close"}, timeout=10).headers["etag"]
        for _ in range(8)
    }
    assert len(etags) == 1  # every worker names the file alike, so a cache validates against any of them
    tail = httpx.get(server.url("/static/big.bin"), headers={"range": f"bytes={(64 << 20) - 1000}-"}, timeout=10)
    assert tail.status_code == 206
    assert tail.content == big.read_bytes()[-1000:]
    assert recorded_calls(server.markers) == []
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--static-path-mount", "{tmp}/missing"], "--static-path-mount: not a directory: {tmp}/missing"),
        (["--static-path-mount", "{tmp}/file.txt"], "--static-path-mount: not a directory: {tmp}/file.txt"),
        (
            ["--static-path-mount", "{tmp}", "--static-path-route", "static"],
            "--static-path-route must be a URL path starting with '/' (no spaces, '?', '#' or '%'; got 'static')",
        ),
        (["--static-path-mount", "{tmp}", "--static-path-expires", "-1"], "--static-path-expires must be at least 0"),
        (
            ["--static-path-mount", "{tmp}", "--static-path-mount", "{tmp}", "--static-path-route", "/a"],
            "--static-path-route and --static-path-mount pair by position: got 1 route(s) for 2 mount(s)",
        ),
        (
            ["--static-path-mount", "{tmp}", "--static-path-dir-to-file", "a/index.html"],
            "--static-path-dir-to-file must be a plain file name (got 'a/index.html')",
        ),
    ],
)
def test_unusable_options_are_one_line_and_exit_2(tmp_path: Path, options: list[str], message: str) -> None:
    (tmp_path / "file.txt").write_text("not a directory")
    argv = [option.format(tmp=tmp_path) for option in options]
    result = subprocess.run(
        [sys.executable, "-m", "uring_granian", *argv, "recording_apps:asgi_app"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"uring-granian: error: {message.format(tmp=tmp_path)}")


NOT_FOUND_BODY = b"Not Found\n"  # the engine's canned 404 body
STATIC_LOG_FORMAT = "SL %(method)s %(path)s %(query_string)s %(status)d %(response_size)d %(header{x-tag})s %(addr)s"


def static_log_lines(server: RunningServer, count: int) -> list[str]:
    def found() -> list[str] | None:
        lines = [line[line.index("SL ") :] for line in server.log.splitlines() if "SL " in line]
        return lines if len(lines) >= count else None

    return wait_until(found, 10, f"{count} access lines")


def test_static_requests_are_in_the_access_log(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    """The engine answers them without the app, yet each gets its line, with the body size actually sent."""
    server = serve(launch, interface, mount, "--access-log", "--access-log-fmt", STATIC_LOG_FORMAT)
    with httpx.Client(timeout=10, headers={"x-tag": "t1"}) as client:
        assert client.get(server.url("/static/style.css?v=3")).content == STYLE
        assert client.get(server.url("/static/nope.css")).status_code == 404
        assert client.head(server.url("/static/app.js")).status_code == 200
        assert client.get(server.url("/static/style.css"), headers={"range": "bytes=0-3"}).status_code == 206
        assert client.get(server.url("/other")).status_code == 200  # the app's, logged by the same observer
    lines = static_log_lines(server, 5)
    assert sorted(lines) == sorted(
        [
            f"SL GET /static/style.css v=3 200 {len(STYLE)} t1 127.0.0.1",
            f"SL GET /static/nope.css  404 {len(NOT_FOUND_BODY)} t1 127.0.0.1",
            "SL HEAD /static/app.js  200 0 t1 127.0.0.1",
            "SL GET /static/style.css  206 4 t1 127.0.0.1",
            f"SL GET /other  200 {len(f'{interface} /other')} t1 127.0.0.1",
        ]
    )
    assert recorded_calls(server.markers) == ["/other"]
    assert server.stop() == 0


def test_static_access_lines_name_the_client_a_trusted_proxy_named(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    """--proxy-headers rewrites the requests the engine answers from a mount as it rewrites the app's: the same
    client address on both lines, and none from a peer outside --forwarded-allow-ips."""
    server = serve(
        launch, interface, mount, "--access-log", "--access-log-fmt", STATIC_LOG_FORMAT,
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
    )  # fmt: skip
    forwarded = {"x-tag": "p1", "x-forwarded-for": "203.0.113.7, 127.0.0.1"}
    with httpx.Client(timeout=10, headers=forwarded) as client:
        assert client.get(server.url("/static/style.css")).content == STYLE
        assert client.get(server.url("/other")).status_code == 200
    lines = static_log_lines(server, 2)
    assert sorted(lines) == sorted(
        [
            f"SL GET /static/style.css  200 {len(STYLE)} p1 203.0.113.7",
            f"SL GET /other  200 {len(f'{interface} /other')} p1 203.0.113.7",
        ]
    )
    assert server.stop() == 0

    untrusted = serve(
        launch, interface, mount, "--access-log", "--access-log-fmt", STATIC_LOG_FORMAT,
        "--proxy-headers", "--forwarded-allow-ips", "192.0.2.1",
    )  # fmt: skip
    with httpx.Client(timeout=10, headers=forwarded) as client:
        assert client.get(untrusted.url("/static/style.css")).content == STYLE
    assert static_log_lines(untrusted, 1) == [f"SL GET /static/style.css  200 {len(STYLE)} p1 127.0.0.1"]
    assert untrusted.stop() == 0


def test_static_requests_are_counted_in_the_request_metrics(
    launch: Callable[..., RunningServer], interface: str, mount: Path
) -> None:
    metrics_port = free_port()
    server = serve(launch, interface, mount, "--metrics", "--metrics-port", str(metrics_port), "--workers", "1")
    with httpx.Client(timeout=10) as client:
        for _ in range(5):
            assert client.get(server.url("/static/style.css")).status_code == 200
        for _ in range(2):
            assert client.get(server.url("/static/nope.css")).status_code == 404
        assert client.get(server.url("/other")).status_code == 200

    def counts() -> dict[str, float] | None:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        found: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("uring_granian_http_requests_total{"):
                code = line.split('code="', 1)[1].split('"', 1)[0]
                found[code] = found.get(code, 0) + float(line.rsplit(" ", 1)[1])
        return found if sum(found.values()) >= 8 else None

    assert wait_until(counts, 10, "the worker's snapshot to count every request") == {"200": 6, "404": 2}
    assert recorded_calls(server.markers) == ["/other"]
    assert server.stop() == 0
