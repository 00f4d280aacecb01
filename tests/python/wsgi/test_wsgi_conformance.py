"""PEP 3333 conformance over real sockets: environ, wsgi.input, start_response/write/exc_info, close(), errors,
framing (chunked, HTTP/1.0 close-delimited) and wsgi.file_wrapper. Every route runs under wsgiref's validator
(its warnings are errors inside the server), except where a test needs the app's own result object."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from wsgi_server_process import WsgiServerProcess

ENVIRON_REQUEST = (
    b"GET /caf%C3%A9/a%2Fb?x=1&y=%20 HTTP/1.1\r\n"
    b"Host: example.test\r\n"
    b"X-Dup: first\r\n"
    b"X-Mixed-Case: Value\r\n"
    b"x-dup: second\r\n"
    b"X_Spoofed: dropped\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


def split_response(raw: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in lines[1:])}
    return lines[0], fields, body


def dechunk(body: bytes) -> tuple[bytes, bool]:
    """The payload of a chunked body, and whether its last-chunk marker arrived (a complete response)."""
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out), True
        out += rest[:size]
        body = rest[size + 2 :]
    return bytes(out), False


def wait_for_file(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path.name} never appeared")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    markers = tmp_path_factory.mktemp("markers")
    process = WsgiServerProcess("wsgi_apps:app", "--url-path-prefix", "/mount", markers=markers)
    process.start()
    yield process
    status = process.stop()
    logs = process.logs()
    process.close()
    assert status == 0, logs
    assert "WSGIWarning" not in logs, logs


def test_environ_is_complete(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/environ?a=1&b=%2F", headers={"Cookie": "a=1"})
    assert response.status_code == 200
    environ = response.json()
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["SCRIPT_NAME"] == ""  # not under the mount prefix
    assert environ["PATH_INFO"] == "/environ"
    assert environ["QUERY_STRING"] == "a=1&b=%2F"
    assert environ["SERVER_NAME"] == "127.0.0.1"
    assert environ["SERVER_PORT"] == str(server.port)
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert int(environ["REMOTE_PORT"]) > 0
    assert environ["HTTP_HOST"] == f"127.0.0.1:{server.port}"
    assert environ["HTTP_COOKIE"] == "a=1"
    assert environ["wsgi.version"] == [1, 0]
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.input_terminated"] is True
    assert environ["wsgi.errors.has_write"] is True
    assert environ["wsgi.file_wrapper"] == "<type>"
    assert "CONTENT_LENGTH" not in environ and "CONTENT_TYPE" not in environ


def test_raw_environ(server: WsgiServerProcess) -> None:
    status, _, body = split_response(server.raw_request(ENVIRON_REQUEST))
    assert status == b"HTTP/1.1 200 OK", body
    environ = json.loads(body)
    # Percent-decoded and given as Latin-1 (one code point per byte), %2F included, per PEP 3333.
    assert environ["PATH_INFO"] == "/caf\xc3\xa9/a/b"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/café/a/b"
    assert environ["QUERY_STRING"] == "x=1&y=%20"
    assert environ["HTTP_X_DUP"] == "first, second"
    assert environ["HTTP_X_MIXED_CASE"] == "Value"
    assert not any("SPOOFED" in key for key in environ)
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["CONTENT_LENGTH"] == "0"
    assert "HTTP_CONTENT_TYPE" not in environ and "HTTP_CONTENT_LENGTH" not in environ


def test_script_name_from_url_path_prefix(server: WsgiServerProcess) -> None:
    environ = httpx.get(server.url + "/mount/inner/path").json()
    assert environ["SCRIPT_NAME"] == "/mount"
    assert environ["PATH_INFO"] == "/inner/path"
    environ = httpx.get(server.url + "/mountain").json()  # not at a segment boundary: not under the mount
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/mountain"


def test_http_1_0_environ_and_close_delimited_body(server: WsgiServerProcess) -> None:
    raw = server.raw_request(b"GET /environ HTTP/1.0\r\n\r\n")
    status, _, body = split_response(raw)
    assert status.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["SERVER_PROTOCOL"] == "HTTP/1.0"
    # No Content-Length from the app: HTTP/1.0 gets the body delimited by the connection closing.
    status, fields, body = split_response(server.raw_request(b"GET /chunked HTTP/1.0\r\n\r\n"))
    assert status.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding" not in fields and b"content-length" not in fields
    assert body == b"no content-length, so chunked or close-delimited"


def test_no_content_length_is_chunked_for_http_1_1(server: WsgiServerProcess) -> None:
    raw = server.raw_request(b"GET /chunked HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    _, fields, body = split_response(raw)
    assert fields[b"transfer-encoding"] == b"chunked"
    assert dechunk(body) == (b"no content-length, so chunked or close-delimited", True)


def test_single_chunk_list_gets_a_content_length(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/hello")
    assert response.text == "Hello, World!"
    assert response.headers["content-length"] == "13"
    assert "transfer-encoding" not in response.headers


BODY = b"line one\nline two\n\nlast line without newline"


@pytest.mark.parametrize(
    ("mode", "pieces"),
    [("read", 1), ("small_reads", 7), ("readline", 4), ("readline_sized", 10), ("readlines", 4), ("iter", 4)],
)
def test_wsgi_input_methods(server: WsgiServerProcess, mode: str, pieces: int) -> None:
    for chunked in (False, True):
        content: Any = iter([BODY[:10], BODY[10:]]) if chunked else BODY
        result = httpx.post(server.url + f"/echo?mode={mode}", content=content).json()
        assert result["data"].encode("latin-1") == BODY, (mode, chunked)
        assert result["pieces"] == pieces, (mode, chunked)


def test_readlines_hint(server: WsgiServerProcess) -> None:
    result = httpx.post(server.url + "/echo?mode=readlines_hint", content=BODY).json()
    # Lines up to the 10-byte hint (the first line, 9 bytes, then the second), then the rest.
    assert result["data"].encode("latin-1") == b"line one\nline two\n|\nlast line without newline"


def test_write_callable(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/write")
    assert response.status_code == 200
    assert response.text == "one,two,three"


def test_exc_info_before_the_head_replaces_it(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/exc_before")
    assert response.status_code == 503
    assert response.text == "replaced by the error page"


def assert_cut(raw: bytes, sent_before: bytes) -> None:
    """The connection was cut: whatever arrived (the engine may not have flushed the head yet) is no complete
    response -- never a fake success."""
    if not raw:
        return
    status, _, body = split_response(raw)
    assert status == b"HTTP/1.1 200 OK"
    payload, complete = dechunk(body)
    assert sent_before.startswith(payload) and not complete


def test_exc_info_after_the_head_re_raises_and_cuts(server: WsgiServerProcess) -> None:
    assert_cut(server.raw_request(b"GET /exc_after HTTP/1.1\r\nHost: t\r\n\r\n"), b"partial body")
    assert "failed after the head went out" in server.logs()


def test_error_before_start_is_a_500_with_the_traceback_logged(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/error_before")
    assert response.status_code == 500
    logs = server.logs()
    assert "Exception in WSGI application (GET /error_before)" in logs
    assert 'in error_before_start\n    raise RuntimeError("the app failed before start_response")' in logs


def test_error_after_start_cuts_the_connection(server: WsgiServerProcess) -> None:
    assert_cut(server.raw_request(b"GET /error_after HTTP/1.1\r\nHost: t\r\n\r\n"), b"first chunk")
    assert "the app failed mid-body" in server.logs()


def test_invalid_header_is_refused(server: WsgiServerProcess) -> None:
    raw = server.raw_request(b"GET /bad_header_raw HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500"), raw[:200]
    assert b"evil" not in raw
    assert "start_response: the value of header 'X-Injected' contains CR, LF or NUL" in server.logs()


@pytest.mark.parametrize("mode", ["normal", "raise"])
def test_close_is_called(server: WsgiServerProcess, mode: str) -> None:
    request = f"GET /closing?id={mode}&mode={mode} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    raw = server.raw_request(request.encode(), timeout=5)
    if mode == "normal":
        assert dechunk(split_response(raw)[2]) == (b"chunk," * 3, True)
    else:
        assert_cut(raw, b"chunk,")
    assert wait_for_file(server.markers / f"close-{mode}").startswith(mode)


def test_close_is_called_when_the_client_disconnects(server: WsgiServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /closing?id=gone&mode=endless HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sent = int(wait_for_file(server.markers / "close-gone", timeout=10).split()[1])
    assert sent > 0


def test_file_wrapper_sends_a_real_file(server: WsgiServerProcess, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    for route in ("/file", "/file_validated"):  # zero-copy (FileWrapper seen), and iterated under the validator
        response = httpx.get(server.url + route, params={"path": str(path)})
        assert response.status_code == 200
        assert response.content == data, route
    response = httpx.get(server.url + "/file", params={"path": str(path), "offset": "1000"})
    assert response.headers["content-length"] == str(len(data) - 1000)
    assert response.content == data[1000:]


def test_file_wrapper_over_a_non_file_iterates(server: WsgiServerProcess) -> None:
    response = httpx.get(server.url + "/file", params={"kind": "bytesio"})
    assert response.content == b"in-memory file " * 1000


def test_keep_alive_serves_many_requests_on_one_connection(server: WsgiServerProcess) -> None:
    with httpx.Client() as client:
        for index in range(50):
            response = client.post(server.url + "/echo?mode=read", content=b"x" * index)
            assert response.json()["size"] == index


def test_live_objects_return_to_zero(server: WsgiServerProcess) -> None:
    for _ in range(20):
        httpx.get(server.url + "/hello")
    live = httpx.get(server.url + "/__stats").json()["live"]
    # The stats request itself is running: one channel and its two objects (input, responder).
    assert live["wsgi_channels"] == 1
    assert live["wsgi_objects"] == 2
    assert live["external_buffers"] == 0


def test_graceful_stop_finishes_in_flight_requests(start_server: Any) -> None:
    server = start_server()
    with httpx.Client(timeout=10) as client:
        result: dict[str, Any] = {}

        def slow_request() -> None:
            result["response"] = client.get(server.url + "/slow?seconds=1")

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.3)
        assert server.stop() == 0
        thread.join()
    assert result["response"].status_code == 200
    assert result["response"].text == "slow done"


def test_blocking_threads_run_requests_concurrently(start_server: Any) -> None:
    server = start_server("wsgi_apps:app", "--blocking-threads", "3")
    results: list[dict[str, Any]] = []

    def request() -> None:
        results.append(httpx.get(server.url + "/thread?seconds=0.5", timeout=10).json())

    started = time.monotonic()
    clients = [threading.Thread(target=request) for _ in range(6)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    names = {result["thread"] for result in results}
    assert len(results) == 6
    assert names <= {f"uring-granian-wsgi-{index}" for index in range(3)}, names
    assert len(names) == 3  # all three threads worked ...
    assert 1.0 <= elapsed < 2.5, elapsed  # ... three at a time: two rounds of 0.5 s


SERVE_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import uring_granian
from wsgi_apps import hello
uring_granian.serve(hello, interface="wsgi", host="127.0.0.1", port={port}, blocking_threads=2)
"""


def test_serve_api_with_interface_wsgi(tmp_path: Path) -> None:
    import subprocess
    import sys

    from server_process import free_port
    from wsgi_server_process import HERE

    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT.format(here=str(HERE), port=port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        assert httpx.get(f"http://127.0.0.1:{port}/").text == "Hello, World!"
        process.terminate()
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_multiprocess_is_true_under_several_workers(start_server: Callable[..., WsgiServerProcess]) -> None:
    server = start_server("wsgi_apps:app", "--workers", "2")
    environ = httpx.get(server.url + "/environ", timeout=10).json()
    assert environ["wsgi.multiprocess"] is True
    assert environ["wsgi.multithread"] is True
