"""A client that shuts its write side after its request (shutdown(SHUT_WR)) still gets the app's answer, and the
app never sees http.disconnect for it: the FIN means "no more requests", not "the client is gone"."""

from __future__ import annotations

import pytest
from server_process import ServerProcess

GET = b"GET /scope HTTP/1.1\r\nHost: a\r\n\r\n"
POST_LENGTH = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
POST_CHUNKED = b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"


@pytest.mark.parametrize("request_bytes", [GET, POST_LENGTH, POST_CHUNKED], ids=["get", "post", "post-chunked"])
def test_half_closed_request_is_answered(conformance_server: ServerProcess, request_bytes: bytes) -> None:
    for _ in range(20):
        raw = conformance_server.raw_request(request_bytes, half_close=True)
        assert raw.startswith(b"HTTP/1.1 200 OK"), raw[:200]
        if request_bytes is not GET:
            assert raw.endswith(b"\r\n\r\nhello")
