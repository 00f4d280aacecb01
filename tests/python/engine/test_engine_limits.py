"""Malformed requests, size limits and timeouts: each gets its status code and the connection is closed."""

from __future__ import annotations

import time

import pytest
from engine_wire import HttpReader, exchange, wait_closed

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"

# Each of these must get 400 and a closed connection, whatever comes after it on the socket.
MALFORMED_REQUESTS = {
    "garbage_bytes": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n",
    "bad_chunk_size": (b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
    "content_length_with_transfer_encoding": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "duplicate_content_length": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
    ),
    "cr_only_line_endings": b"GET / HTTP/1.1\rHost: test\r\r",
    "obs_fold": b"GET / HTTP/1.1\r\nHost: test\r\nX-Folded: first\r\n  continued\r\n\r\n",
    "nul_in_header": b"GET / HTTP/1.1\r\nHost: test\r\nX-Nul: a\x00b\r\n\r\n",
    "missing_host_on_http11": b"GET / HTTP/1.1\r\nUser-Agent: test\r\n\r\n",
    "space_before_colon": b"GET / HTTP/1.1\r\nHost: test\r\nX-Space : value\r\n\r\n",
    "negative_content_length": b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: -1\r\n\r\n",
}

LIMIT_ARGS = (
    "--max-header-size", "4096",
    "--max-headers", "20",
    "--max-request-line", "1024",
    "--max-body-size", "1024",
)  # fmt: skip
OVERSIZED_HEADER = b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n"
TOO_MANY_HEADERS = b"GET / HTTP/1.1\r\nHost: test\r\n" + b"".join(b"X-H%d: v\r\n" % n for n in range(40)) + b"\r\n"
OVERSIZED_REQUEST_LINE = b"GET /" + b"a" * 2048 + b" HTTP/1.1\r\nHost: test\r\n\r\n"
OVERSIZED_BODY = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2048\r\n\r\n" + b"b" * 2048
OVERSIZED_CHUNKED_BODY = (
    b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"400\r\n" + b"c" * 1024 + b"\r\n"
    + b"400\r\n" + b"c" * 1024 + b"\r\n"
    + b"0\r\n\r\n"
)  # fmt: skip
BODY_AT_LIMIT = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1024\r\n\r\n" + b"d" * 1024
SLOW_PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: "


@pytest.fixture(scope="module", params=["hello", "echo"])
def any_server(request):
    """Malformed input must be rejected the same way whether or not the handler reads bodies."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(scope="module")
def limited_server(module_server_factory):
    return module_server_factory("--echo", *LIMIT_ARGS)


def assert_rejected(server, request: bytes, status: int) -> None:
    with server.connect() as sock:
        # A valid request after the bad one must never be answered: the server closes instead.
        sock.sendall(request + GET)
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == status, f"expected {status}, got {response.status} {response.reason}"
        assert reader.closed_by_server(), f"connection left open after {status}"


@pytest.mark.parametrize("name", sorted(MALFORMED_REQUESTS))
def test_malformed_request_gets_400_and_close(any_server, name):
    assert_rejected(any_server, MALFORMED_REQUESTS[name], 400)


def test_oversized_header_section_gets_431(limited_server):
    assert_rejected(limited_server, OVERSIZED_HEADER, 431)


def test_too_many_headers_gets_431(limited_server):
    assert_rejected(limited_server, TOO_MANY_HEADERS, 431)


def test_oversized_request_line_gets_414(limited_server):
    assert_rejected(limited_server, OVERSIZED_REQUEST_LINE, 414)


def test_body_over_limit_gets_413(limited_server):
    assert_rejected(limited_server, OVERSIZED_BODY, 413)


def test_chunked_body_over_limit_gets_413(limited_server):
    assert_rejected(limited_server, OVERSIZED_CHUNKED_BODY, 413)


def test_body_at_limit_is_accepted(limited_server):
    with limited_server.connect() as sock:
        response = exchange(sock, BODY_AT_LIMIT)
    assert response.status == 200
    assert response.body == b"d" * 1024


def test_slowloris_is_closed_after_header_read_timeout(start_server):
    server = start_server("--header-read-timeout", "1")
    with server.connect() as sock:
        sock.sendall(SLOW_PARTIAL_HEAD)
        started = time.monotonic()
        reader = HttpReader(sock)
        # The server may answer 408 before closing; either way the connection must end.
        try:
            sock.settimeout(6)
            leftover = reader.read_until_closed()
        except TimeoutError:
            pytest.fail("slow client still connected 6 s after a 1 s header-read timeout")
        elapsed = time.monotonic() - started
    assert leftover == b"" or leftover.startswith(b"HTTP/1.1 408"), leftover[:200]
    assert 0.8 <= elapsed <= 4.0, f"closed after {elapsed:.2f}s with --header-read-timeout 1"


def test_slowloris_trickle_does_not_extend_header_timeout(start_server):
    """Sending one byte now and then must not keep a header alive past the header-read timeout."""
    server = start_server("--header-read-timeout", "1")
    with server.connect() as sock:
        started = time.monotonic()
        closed = False
        for byte in SLOW_PARTIAL_HEAD * 4:
            try:
                sock.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sock.settimeout(0.25)
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:
                answer = b""
            # EOF, or a 408 the server may send before closing.
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
            closed = True
            break
            if time.monotonic() - started > 6:
                break
        elapsed = time.monotonic() - started
    assert closed, "a trickling client kept its connection past 6 s with --header-read-timeout 1"
    assert elapsed <= 4.0, f"closed only after {elapsed:.2f}s"


def test_idle_keep_alive_connection_is_closed(start_server):
    server = start_server("--keep-alive-timeout", "1")
    with server.connect() as sock:
        assert exchange(sock, GET).status == 200
        elapsed = wait_closed(sock, timeout=6)
    assert 0.8 <= elapsed <= 4.0, f"idle connection closed after {elapsed:.2f}s with --keep-alive-timeout 1"
