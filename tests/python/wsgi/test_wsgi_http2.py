"""WSGI over HTTP/2 (h2c prior knowledge): the environ, wsgi.input streaming a body larger than the windows, and a
streamed response."""

from __future__ import annotations

import hashlib
import os

import httpx

BIG = os.urandom(3 * 1024 * 1024 + 11)


def h2c(server) -> httpx.Client:
    return httpx.Client(http1=False, http2=True, base_url=server.url, timeout=20)


def test_wsgi_over_h2(start_server):
    server = start_server()
    with h2c(server) as client:
        environ = client.get("/environ?q=1", headers={"x-custom": "yes"})
        assert environ.http_version == "HTTP/2"
        shown = environ.json()
        assert shown["SERVER_PROTOCOL"] == "HTTP/2"
        assert shown["REQUEST_METHOD"] == "GET"
        assert shown["QUERY_STRING"] == "q=1"
        assert shown["HTTP_HOST"] == f"127.0.0.1:{server.port}"
        assert shown["HTTP_X_CUSTOM"] == "yes"
        assert not any(key.startswith("HTTP_:") for key in shown)
        sunk = client.post("/sink", content=BIG).json()
        assert sunk["size"] == len(BIG)
        assert sunk["sha256"] == hashlib.sha256(BIG).hexdigest()
        # A body without content-length (streamed by the client): wsgi.input still reads to its end.
        streamed = client.post("/sink", content=iter([b"z" * 1000] * 500)).json()
        assert streamed["size"] == 500_000
        download = client.get("/download", params={"size": 5_000_000})
        assert len(download.content) == 5_000_000
