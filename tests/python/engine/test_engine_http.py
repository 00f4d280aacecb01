"""HTTP/1.1 behaviour of uring-serve over raw sockets: keep-alive, pipelining, bodies, HEAD, HTTP/1.0."""

from __future__ import annotations

import email.utils
import socket

import httpx
import pytest
from engine_wire import HttpReader, exchange

HELLO_BODY = b"Hello, World!"

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_CLOSE = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
HEAD = b"HEAD / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_HTTP10 = b"GET / HTTP/1.0\r\n\r\n"
GET_HTTP10_KEEP_ALIVE = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
POST_HELLO = b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
POST_CHUNKED = (
    b"POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n"
    b"1;ext=1\r\n,\r\n"
    b"A\r\n chunked!!\r\n"
    b"0\r\nX-Trailer: yes\r\n\r\n"
)
POST_CHUNKED_BODY = b"hello, chunked!!"
POST_EXPECT_HEAD = b"POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"
POST_EXPECT_BODY = b"hello world"
PIPELINE_DEPTH = 100


def post(path: str, body: bytes) -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body)


def assert_hello(response) -> None:
    assert response.status == 200
    assert (response.header("Content-Type") or "").startswith("text/plain")
    assert response.body == HELLO_BODY


def test_hello_has_length_and_date(hello_server):
    with hello_server.connect() as sock:
        response = exchange(sock, GET)
    assert_hello(response)
    assert response.version == "HTTP/1.1"
    assert response.header("Content-Length") == str(len(HELLO_BODY))
    date = response.header("Date")
    assert date is not None and email.utils.parsedate_to_datetime(date) is not None


def test_keep_alive_serves_several_requests_on_one_socket(hello_server):
    with hello_server.connect() as sock:
        reader = HttpReader(sock)
        for _ in range(5):
            sock.sendall(GET)
            assert_hello(reader.read_response())
        # Still open: a request after the loop is answered on the same socket.
        sock.sendall(GET_CLOSE)
        assert_hello(reader.read_response())
        assert reader.closed_by_server(), "Connection: close must close the connection"


def test_hundred_pipelined_requests_in_one_write(hello_server):
    with hello_server.connect() as sock:
        sock.sendall(GET * PIPELINE_DEPTH)
        reader = HttpReader(sock)
        for _ in range(PIPELINE_DEPTH):
            assert_hello(reader.read_response())


def test_pipelined_responses_come_back_in_order(echo_server):
    requests = [post(f"/{index}", b"request number %d" % index) for index in range(PIPELINE_DEPTH)]
    with echo_server.connect() as sock:
        sock.sendall(b"".join(requests))
        reader = HttpReader(sock)
        bodies = [reader.read_response().body for _ in range(PIPELINE_DEPTH)]
    assert bodies == [b"request number %d" % index for index in range(PIPELINE_DEPTH)]


def test_echo_content_length_body(echo_server):
    with echo_server.connect() as sock:
        response = exchange(sock, POST_HELLO)
    assert response.status == 200
    assert response.header("Content-Type") == "application/octet-stream"
    assert response.body == b"hello"


def test_chunked_upload_is_echoed(echo_server):
    with echo_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(POST_CHUNKED)
        assert reader.read_response().body == POST_CHUNKED_BODY
        # The connection is still usable: the terminating chunk and trailers were consumed exactly.
        sock.sendall(POST_HELLO)
        assert reader.read_response().body == b"hello"


def test_chunked_upload_sent_byte_by_byte(echo_server):
    with echo_server.connect() as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in POST_CHUNKED:
            sock.send(bytes([byte]))
        assert HttpReader(sock).read_response().body == POST_CHUNKED_BODY


def test_large_body_echoed_with_httpx(echo_server):
    payload = bytes(range(256)) * 4096 * 4  # 4 MiB, more than any single receive buffer
    with httpx.Client(base_url=echo_server.base_url, timeout=30) as client:
        response = client.post("/big", content=payload)
    assert response.status_code == 200
    assert response.content == payload


def test_expect_100_continue_gets_interim_response_then_echo(echo_server):
    with echo_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(POST_EXPECT_HEAD)
        interim = reader.read_response()  # sent before the body: the client waits for it
        assert interim.status == 100
        sock.sendall(POST_EXPECT_BODY)
        final = reader.read_response()
    assert final.status == 200
    assert final.body == POST_EXPECT_BODY


def test_head_has_headers_but_no_body(hello_server):
    with hello_server.connect() as sock:
        reader = HttpReader(sock)
        # HEAD then GET in one write: if the HEAD response carried a body, the GET response would not parse.
        sock.sendall(HEAD + GET)
        head = reader.read_response(head_request=True)
        assert head.status == 200
        assert head.header("Content-Length") == str(len(HELLO_BODY))
        assert_hello(reader.read_response())


def test_http10_without_keep_alive_closes(hello_server):
    with hello_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(GET_HTTP10)
        response = reader.read_response()
        assert response.status == 200
        assert response.body == HELLO_BODY
        assert reader.closed_by_server(), "HTTP/1.0 without keep-alive must close after the response"


def test_http10_keep_alive_stays_open(hello_server):
    with hello_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(GET_HTTP10_KEEP_ALIVE)
        first = reader.read_response()
        assert first.body == HELLO_BODY
        assert (first.header("Connection") or "").lower() == "keep-alive"
        sock.sendall(GET_HTTP10_KEEP_ALIVE)
        assert reader.read_response().body == HELLO_BODY


def test_httpx_client_round_trip(hello_server):
    with httpx.Client(base_url=hello_server.base_url, timeout=10) as client:
        responses = [client.get(f"/path/{index}?q={index}") for index in range(20)]
    assert all(response.status_code == 200 and response.content == HELLO_BODY for response in responses)


def test_unix_socket(start_server, tmp_path):
    path = str(tmp_path / "uring.sock")
    server = start_server(uds=path)
    assert f"unix:{path}" in server.ready_line
    with server.connect() as sock:
        assert sock.family == socket.AF_UNIX
        reader = HttpReader(sock)
        for _ in range(3):
            sock.sendall(GET)
            assert_hello(reader.read_response())
    transport = httpx.HTTPTransport(uds=path)
    with httpx.Client(transport=transport, base_url="http://localhost", timeout=10) as client:
        assert client.get("/").content == HELLO_BODY


@pytest.mark.parametrize("threads", [1, 2])
def test_readiness_line_names_address_and_threads(start_server, threads):
    server = start_server(threads=threads)
    assert server.ready_line == f"uring-serve: listening on http://127.0.0.1:{server.port} ({threads} threads)" or (
        threads == 1 and server.ready_line == f"uring-serve: listening on http://127.0.0.1:{server.port} (1 thread)"
    )
