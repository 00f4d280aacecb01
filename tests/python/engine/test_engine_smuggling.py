"""Request smuggling (issue 12) against uring-serve: each attempt, followed on its connection by a second request,
gets one 400 and a closed connection; framing next to the attempts keeps working."""

from __future__ import annotations

import pytest
from engine_wire import HttpReader
from smuggling_requests import (
    SMUGGLING_ATTEMPTS,
    assert_refused_alone,
    assert_refused_alone_byte_by_byte,
    exchange_valid_pipeline,
)

EMPTY_HOST = b"GET / HTTP/1.1\r\nHost:\r\n\r\n"
IPV6_HOST = b"GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n"
IPV4_HOST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


@pytest.fixture(scope="module", params=["hello", "echo"])
def any_server(request):
    """The attempts must be refused whether or not the handler reads bodies."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.mark.parametrize("name", sorted(SMUGGLING_ATTEMPTS))
def test_smuggling_attempt_gets_one_400_and_close(any_server, name):
    with any_server.connect() as sock:
        assert_refused_alone(sock, SMUGGLING_ATTEMPTS[name])


@pytest.mark.parametrize("name", sorted(SMUGGLING_ATTEMPTS))
def test_smuggling_attempt_sent_byte_by_byte_gets_one_400_and_close(echo_server, name):
    with echo_server.connect() as sock:
        assert_refused_alone_byte_by_byte(sock, SMUGGLING_ATTEMPTS[name])


def test_chunked_body_with_extensions_and_trailers_still_echoed(echo_server):
    with echo_server.connect() as sock:
        exchange_valid_pipeline(sock)


@pytest.mark.parametrize("request_bytes", [EMPTY_HOST, IPV6_HOST, IPV4_HOST], ids=["empty", "ipv6", "ipv4"])
def test_valid_host_values_are_served(hello_server, request_bytes):
    with hello_server.connect() as sock:
        sock.sendall(request_bytes)
        assert HttpReader(sock).read_response().status == 200
