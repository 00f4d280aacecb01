"""ASGI www spec 2.4 conformance over real sockets: scope, request and response events, lifespan state."""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

import httpx
import pytest
from server_process import ServerProcess

SCOPE_REQUEST = (
    b"GET /caf%C3%A9/a%2Fb?x=1&y=%20 HTTP/1.1\r\n"
    b"Host: example.test\r\n"
    b"X-Dup: first\r\n"
    b"X-Mixed-Case: Value\r\n"
    b"x-dup: second\r\n"
    b"Connection: close\r\n\r\n"
)


def body_of(raw: bytes) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    return body


def test_http_scope_is_complete(conformance_server: ServerProcess) -> None:
    response = httpx.get(conformance_server.url + "/scope?a=1&b=%2F")
    assert response.status_code == 200
    scope = response.json()["scope"]
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/scope"
    assert scope["raw_path"] == {"bytes": "/scope"}
    assert scope["query_string"] == {"bytes": "a=1&b=%2F"}
    assert scope["root_path"] == ""
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)
    assert scope["server"] == ["127.0.0.1", conformance_server.port]
    assert scope["extensions"] == {"http.response.pathsend": {}, "http.response.trailers": {}}
    assert scope["state_keys"] == ["counter", "started_by"]
    assert response.json()["events"] == [{"type": "http.request", "size": 0, "more": False}]


def test_path_is_percent_decoded(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(SCOPE_REQUEST)
    assert raw.startswith(b"HTTP/1.1 404"), raw[:200]  # the not-found route reports the path it saw
    assert httpx.Response(200, content=body_of(raw)).json()["path"] == "/café/a/b"


def test_headers_keep_order_and_duplicates(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(SCOPE_REQUEST.replace(b"/caf%C3%A9/a%2Fb", b"/scope"))
    captured = httpx.Response(200, content=body_of(raw)).json()["scope"]
    assert captured["query_string"] == {"bytes": "x=1&y=%20"}
    assert captured["headers"] == [
        [{"bytes": "host"}, {"bytes": "example.test"}],
        [{"bytes": "x-dup"}, {"bytes": "first"}],
        [{"bytes": "x-mixed-case"}, {"bytes": "Value"}],
        [{"bytes": "x-dup"}, {"bytes": "second"}],
        [{"bytes": "connection"}, {"bytes": "close"}],
    ]


def test_raw_path_keeps_the_encoding(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(b"GET /scope%2Fx HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 404")  # "/scope/x" after decoding is no route
    assert httpx.Response(200, content=body_of(raw)).json()["path"] == "/scope/x"


def test_path_that_is_not_utf8_is_rejected_with_400(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(b"GET /%FF%FE HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400"), raw[:200]


def test_rejected_request_with_a_large_body_does_not_hang(conformance_server: ServerProcess) -> None:
    body = b"z" * (3 * 1024 * 1024)  # above the body high-water mark: the reactor must drop it, not pause
    head = b"POST /%FF HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode()
    head += b"\r\n\r\n"
    raw = conformance_server.raw_request(head + body, timeout=20)
    assert raw.startswith(b"HTTP/1.1 400"), raw[:200]


def test_http_1_0_version(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(b"GET /scope HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.")
    assert httpx.Response(200, content=body_of(raw)).json()["scope"]["http_version"] == "1.0"


def test_streaming_request_body_arrives_in_order(conformance_server: ServerProcess) -> None:
    parts = [b"a" * 1000, b"b" * 70_000, b"c" * 5]

    def chunks():
        yield from parts

    response = httpx.post(conformance_server.url + "/echo", content=chunks())
    assert response.status_code == 200
    assert response.content == b"".join(parts)


def test_one_mebibyte_upload_is_echoed(conformance_server: ServerProcess) -> None:
    payload = os.urandom(1024 * 1024)
    with httpx.Client() as client:
        for _ in range(3):  # keep-alive: the connection stays usable after a large body
            response = client.post(conformance_server.url + "/echo", content=payload)
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(payload))
            assert response.content == payload


def test_large_upload_is_flow_controlled(conformance_server: ServerProcess) -> None:
    payload = os.urandom(8 * 1024 * 1024)  # far above the body high-water mark: reading pauses and resumes
    # Several rounds: a pause racing the resume once stalled about one upload in three.
    for _ in range(5):
        response = httpx.post(conformance_server.url + "/echo", content=payload, timeout=60)
        assert response.content == payload
        assert int(response.headers["x-events"]) > 1  # delivered as several http.request events


def test_streaming_response_is_chunked(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(b"GET /stream HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    head = raw.partition(b"\r\n\r\n")[0].lower()
    assert b"transfer-encoding: chunked" in head
    assert raw.endswith(b"0\r\n\r\n")
    response = httpx.get(conformance_server.url + "/stream")
    assert response.content == b"one,two,three," + b"x" * 100_000 + b",end"


def test_large_bytes_body_is_sent_whole(conformance_server: ServerProcess) -> None:
    with httpx.Client() as client:
        for size in (1, 16 * 1024 - 1, 16 * 1024, 4 * 1024 * 1024):
            response = client.get(conformance_server.url + f"/big?{size}")
            assert response.content == b"b" * size


def test_response_headers(conformance_server: ServerProcess) -> None:
    raw = conformance_server.raw_request(b"GET /headers-out HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 201 Created"
    fields = [line.split(b": ", 1) for line in lines[1:]]
    names = [name.lower() for name, _ in fields]
    assert [value for name, value in fields if name.lower() == b"set-cookie"] == [b"a=1", b"b=2"]
    assert names.count(b"content-length") == 1 and names.count(b"date") == 1 and names.count(b"server") == 1
    assert b"transfer-encoding" not in names  # the app's is dropped: the engine frames the body
    # The app's own Date and Server replace the engine's.
    assert [value for name, value in fields if name.lower() == b"date"] == [b"Mon, 01 Jan 1990 00:00:00 GMT"]
    assert [value for name, value in fields if name.lower() == b"server"] == [b"conformance-app"]
    assert body == b"hello"


def test_pathsend_sends_the_file(conformance_server: ServerProcess, tmp_path: Path) -> None:
    target = tmp_path / "payload.bin"
    content = os.urandom(300_000)
    target.write_bytes(content)
    response = httpx.get(conformance_server.url + "/pathsend?" + str(target))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(content))
    assert response.content == content


def test_pathsend_of_a_missing_file_is_a_500(conformance_server: ServerProcess, tmp_path: Path) -> None:
    response = httpx.get(conformance_server.url + "/pathsend?" + str(tmp_path / "missing"))
    assert response.status_code == 500
    conformance_server.wait_for_log("No such file or directory")


def test_lifespan_state_is_shallow_copied_into_each_request(conformance_server: ServerProcess) -> None:
    first = httpx.get(conformance_server.url + "/state").json()
    second = httpx.get(conformance_server.url + "/state").json()
    assert first["keys"] == ["counter", "per_request", "started_by"]
    assert second["keys"] == ["counter", "per_request", "started_by"]
    assert second["counter"] == first["counter"] + 1  # the shared inner object is the same one


def observation(server: ServerProcess, key: str, timeout: float = 10.0) -> object:
    """What the app recorded under `key` in the background (polls /observed)."""
    deadline = time.monotonic() + timeout
    while True:
        observed = httpx.get(server.url + "/observed").json()
        if key in observed or time.monotonic() > deadline:
            return observed.get(key)
        time.sleep(0.05)


def test_disconnect_is_delivered_to_a_waiting_receive(conformance_server: ServerProcess) -> None:
    # The connection really goes away (a reset). A FIN alone only says the client sends nothing more: its
    # response is still delivered (test_half_close.py), so it is no disconnect.
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.2)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    assert observation(conformance_server, "disconnect") == "http.disconnect"


def read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """Head and Content-Length body of one response."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(1 << 20)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length"))
    while len(body) < length:
        chunk = sock.recv(1 << 20)
        assert chunk, "connection closed mid-body"
        body += chunk
    return head, body


def test_one_large_message_is_not_held_until_it_drains(conformance_server: ServerProcess) -> None:
    # Quart's shape: the whole body in one message with more_body, then an empty one. Backpressure bounds what
    # is queued before a message; it must not make the app wait for the client to read the message itself.
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /big-messages?n=1 HTTP/1.1\r\nHost: a\r\n\r\n")  # and read nothing yet
    assert observation(conformance_server, "big_message_1_0_sent") is True
    head, body = read_response(sock)
    sock.close()
    assert head.startswith(b"HTTP/1.1 200") and len(body) == 32 * 1024 * 1024


def test_send_waits_while_earlier_messages_are_unsent(conformance_server: ServerProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /big-messages?n=2 HTTP/1.1\r\nHost: a\r\n\r\n")  # and read nothing yet
    assert observation(conformance_server, "big_message_2_0_sent") is True
    # 32 MiB are queued ahead of the second message: its send() waits until the client has read them.
    time.sleep(0.5)
    assert observation(conformance_server, "big_message_2_1_sent", timeout=0) is None
    head, body = read_response(sock)
    sock.close()
    assert len(body) == 64 * 1024 * 1024
    assert observation(conformance_server, "big_message_2_1_sent") is True


def test_waiting_receive_outlives_the_response_until_the_next_request(conformance_server: ServerProcess) -> None:
    # Django's disconnect listener waits in receive() while the response goes out and is cancelled after it.
    # Waking it with http.disconnect at completion made it raise into a task Django keeps, a reference cycle
    # holding each response until the cyclic collector ran (issue 14). A listener the app never cancels
    # learns of the end shortly after the connection takes its next request (or when the app returns).
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /lingering-listener HTTP/1.1\r\nHost: a\r\n\r\n")
    head, _ = read_response(sock)
    assert head.startswith(b"HTTP/1.1 200")
    assert observation(conformance_server, "listener_done_at_completion") is False
    assert observation(conformance_server, "listener_message", timeout=0) is None
    sock.sendall(b"GET /observed HTTP/1.1\r\nHost: a\r\n\r\n")
    read_response(sock)
    sock.close()
    assert observation(conformance_server, "listener_message") == "http.disconnect"


def test_listener_cancelled_after_the_next_request_arrived_is_not_woken(conformance_server: ServerProcess) -> None:
    # The keep-alive race behind issue 14 on 3.12+: the client's next request reaches the server before the
    # framework cancels its disconnect listener. Woken with http.disconnect then, Django's listener raises
    # into a task it keeps (a reference cycle holding the response); it must be left for the app to cancel.
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /cancelled-listener HTTP/1.1\r\nHost: a\r\n\r\n")
    head, _ = read_response(sock)
    assert head.startswith(b"HTTP/1.1 200")
    sock.sendall(b"GET /next-request HTTP/1.1\r\nHost: a\r\n\r\n")
    head, _ = read_response(sock)
    assert head.startswith(b"HTTP/1.1 200")
    sock.close()
    assert observation(conformance_server, "cancelled_listener_outcome") == "cancelled"
    assert observation(conformance_server, "cancelled_listener_woken_first") is False


def test_send_after_disconnect_raises_client_disconnected(conformance_server: ServerProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", conformance_server.port))
    sock.sendall(b"GET /stream-until-gone HTTP/1.1\r\nHost: a\r\n\r\n")
    sock.recv(65536)
    sock.close()
    assert observation(conformance_server, "send_error") == {"type": "ClientDisconnected", "is_oserror": True}


def test_root_path_from_url_path_prefix(start_server) -> None:
    server = start_server("conformance_app:app", "--url-path-prefix", "/api")
    scope = httpx.get(server.url + "/api/scope").json()["scope"]
    assert scope["root_path"] == "/api"
    assert scope["path"] == "/scope"
    assert scope["raw_path"] == {"bytes": "/api/scope"}


def test_unix_socket_server_address(start_server, tmp_path: Path) -> None:
    path = str(tmp_path / "server.sock")
    server = start_server("conformance_app:app", uds=path)
    with httpx.Client(transport=httpx.HTTPTransport(uds=path)) as client:
        scope = client.get("http://localhost/scope").json()["scope"]
    assert scope["server"] == [path, None]
    assert scope["client"] is None


def test_lifespan_shutdown_runs_on_graceful_stop(start_server) -> None:
    server = start_server()
    assert httpx.get(server.url + "/state").status_code == 200
    assert server.stop() == 0
    assert "conformance_app: lifespan shutdown" in server.logs()


def test_graceful_stop_cuts_and_cancels_requests_that_outlive_the_timeout(start_server) -> None:
    server = start_server("conformance_app:app", "--graceful-timeout", "1")
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /sleep-forever HTTP/1.1\r\nHost: a\r\n\r\n")
    assert b"started" in sock.recv(65536) or b"started" in sock.recv(65536)
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 15
    sock.close()
    logs = server.logs()
    assert "conformance_app: lifespan shutdown" in logs
    assert "Exception in ASGI application" not in logs  # cancellation at shutdown is not an app error


@pytest.mark.parametrize(("options", "limited"), [(("--backpressure", "1"), True), ((), False)])
def test_backpressure_limits_concurrent_requests(start_server, options: tuple[str, ...], limited: bool) -> None:
    import concurrent.futures

    server = start_server("conformance_app:app", *options)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: httpx.get(server.url + "/concurrency").status_code, range(12)))
    assert statuses == [200] * 12
    max_running = httpx.get(server.url + "/observed").json()["max_running"]
    assert (max_running == 1) if limited else (max_running > 1)


def test_no_lifespan_gives_an_empty_state(start_server) -> None:
    server = start_server("conformance_app:app", "--no-lifespan")
    assert httpx.get(server.url + "/scope").json()["scope"]["state_keys"] == []


@pytest.mark.parametrize("option", ["--threads=2"])
def test_several_reactor_threads(start_server, option: str) -> None:
    # Reactor threads are the multi-threaded runtime's (the suite may run under URING_GRANIAN_RUNTIME_MODE=st).
    server = start_server("conformance_app:app", "--runtime-mode", "mt", option)
    with httpx.Client() as client:
        for _ in range(50):
            assert client.get(server.url + "/scope").status_code == 200
