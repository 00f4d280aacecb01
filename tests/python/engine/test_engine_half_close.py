"""A client that shuts its write side after the request (shutdown(SHUT_WR), as nc-like tools and simple HTTP/1.0
clients do) still gets every answer: the FIN means "no more requests", not "abort"."""

from __future__ import annotations

import socket

import pytest
from engine_wire import HttpReader

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
POST_LENGTH = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
POST_CHUNKED = b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
POST_CUT_SHORT = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello"
PARTIAL_HEAD = b"GET /never-finished HTTP/1.1\r\nHo"
TRIES = 20


def send_then_half_close(server, payload: bytes) -> tuple[HttpReader, socket.socket]:
    sock = server.connect()
    sock.sendall(payload)
    sock.shutdown(socket.SHUT_WR)
    return HttpReader(sock), sock


@pytest.mark.parametrize(
    ("payload", "body"),
    [(GET, None), (POST_LENGTH, b"hello"), (POST_CHUNKED, b"hello")],
    ids=["get", "post-content-length", "post-chunked"],
)
def test_every_half_closed_request_is_answered(echo_server, payload, body):
    for _ in range(TRIES):
        reader, sock = send_then_half_close(echo_server, payload)
        with sock:
            response = reader.read_response()
            assert response.status == 200
            if body is not None:
                assert response.body == body
            assert reader.closed_by_server(), "after the answer the connection must close"


def test_hello_server_answers_half_closed_get(hello_server):
    for _ in range(TRIES):
        reader, sock = send_then_half_close(hello_server, GET)
        with sock:
            assert reader.read_response().body == b"Hello, World!"
            assert reader.closed_by_server()


def test_requests_pipelined_before_the_fin_are_all_answered(echo_server):
    reader, sock = send_then_half_close(echo_server, GET + POST_CHUNKED + POST_LENGTH + PARTIAL_HEAD)
    with sock:
        responses = [reader.read_response() for _ in range(3)]
        assert [response.status for response in responses] == [200, 200, 200]
        assert [response.body for response in responses[1:]] == [b"hello", b"hello"]
        # The partial request after them has nothing to answer: the server just closes.
        assert reader.closed_by_server()


def test_body_cut_short_by_the_fin_closes_without_an_answer(echo_server):
    reader, sock = send_then_half_close(echo_server, POST_CUT_SHORT)
    with sock:
        assert reader.read_until_closed() == b""


def test_half_closed_http10_request_is_answered(hello_server):
    reader, sock = send_then_half_close(hello_server, b"GET / HTTP/1.0\r\n\r\n")
    with sock:
        assert reader.read_response().status == 200
        assert reader.closed_by_server()
