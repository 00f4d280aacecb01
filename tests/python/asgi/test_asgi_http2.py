"""ASGI over HTTP/2 (h2c prior knowledge; TLS by ALPN is in tests/python/tls): the scope, request bodies with
back-pressure, response bodies, pathsend, and RST_STREAM as http.disconnect for that stream's app alone."""

from __future__ import annotations

import json
import os
import socket
import time

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

BIG = os.urandom(3 * 1024 * 1024 + 5)


def h2c(server) -> httpx.Client:
    return httpx.Client(http1=False, http2=True, base_url=server.url, timeout=20)


@pytest.fixture(scope="module")
def server(conformance_server):
    return conformance_server


def test_scope_over_h2(server):
    with h2c(server) as client:
        response = client.post("/scope?x=1", content=b"body", headers={"x-custom": "yes", "cookie": "a=1"})
        assert response.http_version == "HTTP/2"
        scope = response.json()["scope"]
    assert scope["http_version"] == "2"
    assert scope["method"] == "POST"
    assert scope["path"] == "/scope"
    assert scope["query_string"] == {"bytes": "x=1"}  # bytes, as conformance_app's jsonable spells them
    assert scope["scheme"] == "http"
    pairs = [(name["bytes"], value["bytes"]) for name, value in scope["headers"]]
    assert not any(name.startswith(":") for name, _ in pairs)  # no pseudo-headers
    headers = dict(pairs)
    assert headers["host"] == f"127.0.0.1:{server.port}"  # :authority as Host
    assert headers["x-custom"] == "yes"
    assert response.json()["body_size"] == 4


def test_bodies_both_ways(server):
    with h2c(server) as client:
        echoed = client.post("/echo", content=BIG)
        assert echoed.content == BIG
        streamed = client.get("/stream")
        assert streamed.content == b"one,two,three," + b"x" * 100_000 + b",end"
        assert client.get("/big?1000000").content == b"b" * 1_000_000


def test_pathsend_over_h2(server, tmp_path):
    target = tmp_path / "payload.bin"
    target.write_bytes(BIG)
    with h2c(server) as client:
        response = client.get(f"/pathsend?{target}")
        assert response.status_code == 200
        assert response.content == BIG


def rst_stream_then_observe(server) -> dict:
    """Starts /wait-disconnect on a raw connection, resets that stream, then reads /observed on another."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        headers = [(":method", "GET"), (":scheme", "http"), (":authority", "t"), (":path", "/wait-disconnect")]
        conn.send_headers(1, headers, end_stream=True)
        sock.sendall(conn.data_to_send())
        time.sleep(0.3)  # the app is waiting in receive()
        conn.reset_stream(1)
        sock.sendall(conn.data_to_send())
        time.sleep(0.3)
        with h2c(server) as client:
            return client.get("/observed").json()


def test_rst_stream_is_http_disconnect(server):
    assert rst_stream_then_observe(server)["disconnect"] == "http.disconnect"


def test_request_body_backpressure(start_server):
    """A stream window of 64 KiB and an app that stops reading: the client cannot send the whole body until the
    app reads on, and then it all arrives."""
    process = start_server("http2_app:app", "--no-lifespan", "--http2-initial-stream-window-size", "65535")
    with socket.create_connection(("127.0.0.1", process.port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        headers = [(":method", "POST"), (":scheme", "http"), (":authority", "t"), (":path", "/slow-reader")]
        conn.send_headers(1, headers)
        sock.sendall(conn.data_to_send())
        sent = 0
        sock.settimeout(0.5)
        deadline = time.monotonic() + 3
        while sent < len(BIG) and time.monotonic() < deadline:
            window = min(conn.local_flow_control_window(1), conn.max_outbound_frame_size, len(BIG) - sent)
            if window > 0:
                conn.send_data(1, BIG[sent : sent + window])
                sent += window
                sock.sendall(conn.data_to_send())
                continue
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            conn.receive_data(data)
            sock.sendall(conn.data_to_send())
        # Held back: at most the stream window plus what the bridge buffers ahead of the app.
        assert sent < len(BIG) // 2, sent
        with h2c(process) as client:
            client.get("/resume")
        sock.settimeout(10)
        response_body = b""
        ended = False
        while not ended:
            window = min(conn.local_flow_control_window(1), conn.max_outbound_frame_size, len(BIG) - sent)
            if sent < len(BIG) and window > 0:
                conn.send_data(1, BIG[sent : sent + window], end_stream=sent + window == len(BIG))
                sent += window
                sock.sendall(conn.data_to_send())
                continue
            data = sock.recv(65536)
            assert data, "the server closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    response_body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
            sock.sendall(conn.data_to_send())
    assert json.loads(response_body) == {"size": len(BIG)}
