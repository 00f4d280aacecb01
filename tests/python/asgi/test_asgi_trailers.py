"""The ASGI http.response.trailers extension (trailers_app.py): offered in http scopes, delivered as a trailing
HEADERS frame on HTTP/2 and in the chunked trailer section on HTTP/1.1, and its rules enforced."""

from __future__ import annotations

import socket
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
from server_process import ServerProcess

EXPECTED_TRAILERS = [(b"x-checksum", b"abc"), (b"grpc-status", b"0")]


@pytest.fixture(scope="module")
def server():
    process = ServerProcess("trailers_app:app", Path(__file__).parent, "--no-lifespan").start()
    yield process
    process.close()


def h2_get(server, path: str) -> dict:
    """One GET over h2c with prior knowledge: what the stream received (trailers apart from the head)."""
    got: dict = {"headers": [], "body": b"", "trailers": [], "ended": False, "reset": None}
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "t"), (":path", path)], True)
        sock.sendall(conn.data_to_send())
        while not got["ended"] and got["reset"] is None:
            data = sock.recv(65536)
            assert data, "the server closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    got["headers"] = event.headers
                elif isinstance(event, h2.events.DataReceived):
                    got["body"] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    got["trailers"] = event.headers
                elif isinstance(event, h2.events.StreamEnded):
                    got["ended"] = True
                elif isinstance(event, h2.events.StreamReset):
                    got["reset"] = event.error_code
            sock.sendall(conn.data_to_send())
    return got


def http11_get(server, path: str) -> tuple[bytes, bytes]:
    """One GET over HTTP/1.1 on a raw socket (Connection: close): the head and everything after it, as sent."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path.encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    return head, rest


def test_http_scopes_offer_the_extension(server):
    assert httpx.get(f"{server.url}/extensions", timeout=10).json() == {"offered": True}


@pytest.mark.parametrize("pieces", [0, 1, 3])
def test_h2_trailers_follow_the_body_and_end_the_stream(server, pieces):
    got = h2_get(server, f"/trailers?{pieces}")
    assert dict(got["headers"])[b":status"] == b"200"
    assert got["body"] == b"".join(b"piece%d," % index for index in range(pieces))
    assert got["trailers"] == EXPECTED_TRAILERS  # both messages, in order; content-length is no trailer
    assert got["ended"]


def test_http11_chunked_trailer_section(server):
    head, rest = http11_get(server, "/trailers?3")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nTransfer-Encoding: chunked" in head
    chunks = b"".join(b"7\r\npiece%d,\r\n" % index for index in range(3))
    assert rest == chunks + b"0\r\nx-checksum: abc\r\ngrpc-status: 0\r\n\r\n"


def test_http11_with_content_length_drops_the_trailers(server):
    head, rest = http11_get(server, "/content-length")
    assert b"\r\ncontent-length: 7" in head.lower()
    assert rest == b"piece0,"
    # Over HTTP/2 the same response keeps its trailers.
    assert h2_get(server, "/content-length")["trailers"] == EXPECTED_TRAILERS


def test_trailers_without_announcing_them_are_a_protocol_error(server):
    assert h2_get(server, "/unannounced")["body"] == b"done"  # the response was complete already
    server.wait_for_log("http.response.trailers sent, but http.response.start did not set 'trailers'")


def test_trailers_before_the_last_body_cut_the_response(server):
    got = h2_get(server, "/early")
    assert got["reset"] is not None
    assert got["trailers"] == []
    server.wait_for_log("http.response.trailers sent before the body was complete")


def test_announced_trailers_never_sent_cut_the_response(server):
    got = h2_get(server, "/forgotten")
    assert got["reset"] is not None
    server.wait_for_log("without sending the trailers it announced")
