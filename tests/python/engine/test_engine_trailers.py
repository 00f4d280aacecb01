"""Response trailers (ResponsePart::trailer_lines) on uring-serve --trailer: a trailing HEADERS frame that ends the
stream on HTTP/2, the trailer section of a chunked body on HTTP/1.1, dropped where no trailer section exists
(HTTP/1.0). Fields RFC 9110 6.5.1 forbids as trailers never leave, on either protocol."""

from __future__ import annotations

import subprocess

import h11
from engine_server import server_command
from h2_wire import H2Client

TRAILERS = ("--trailer", "X-Checksum: abc123", "--trailer", "Grpc-Status: 0", "--trailer", "Content-Type: text/evil")
HELLO_BODY = b"Hello, World!"

HTTP11_GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
HTTP10_GET = b"GET / HTTP/1.0\r\nHost: test\r\n\r\n"


def h11_exchange(sock, client: h11.Connection) -> tuple[h11.Response, bytes, list[tuple[bytes, bytes]]]:
    """One GET through h11 (a real HTTP/1.1 client state machine): the head, the body, the trailer fields."""
    sock.sendall(client.send(h11.Request(method="GET", target="/", headers=[("Host", "test")])))
    sock.sendall(client.send(h11.EndOfMessage()))
    head, body = None, b""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            return head, body, list(event.headers)


def test_http11_chunked_body_ends_in_a_trailer_section(start_server):
    server = start_server(*TRAILERS)
    with server.connect() as sock:
        sock.sendall(HTTP11_GET)
        received = b""
        while not received.endswith(b"\r\n0\r\nX-Checksum: abc123\r\nGrpc-Status: 0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, f"closed before the trailer section ended: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head
        assert b"Content-Length" not in head
        # The forbidden Content-Type trailer is dropped; the body's bytes are untouched.
        assert body == b"%x\r\n%s\r\n0\r\nX-Checksum: abc123\r\nGrpc-Status: 0\r\n\r\n" % (len(HELLO_BODY), HELLO_BODY)


def test_http11_trailers_reach_a_real_client_on_a_kept_alive_connection(start_server):
    server = start_server(*TRAILERS, "--body-size", "70000")
    with server.connect() as sock:
        client = h11.Connection(h11.CLIENT)
        for _ in range(2):
            head, body, trailers = h11_exchange(sock, client)
            assert head.status_code == 200
            assert body == b"x" * 70000
            assert trailers == [(b"x-checksum", b"abc123"), (b"grpc-status", b"0")]
            client.start_next_cycle()


def test_http10_has_no_trailer_section_and_gets_none(start_server):
    server = start_server(*TRAILERS)
    with server.connect() as sock:
        sock.sendall(HTTP10_GET)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    _, _, body = received.partition(b"\r\n\r\n")
    assert body == HELLO_BODY  # close-delimited: no chunks, so nowhere for trailers
    assert b"abc123" not in received


def test_h2_trailers_end_the_stream_after_the_body(start_server):
    server = start_server(*TRAILERS)
    client = H2Client(server.connect())
    try:
        result = client.get("/")
        assert result.status == 200
        assert bytes(result.body) == HELLO_BODY
        assert result.trailers == [("x-checksum", "abc123"), ("grpc-status", "0")]
        assert result.ended
    finally:
        client.sock.close()


def test_h2_trailers_after_a_lent_body_and_after_an_empty_one(start_server):
    """A body large enough to leave in frames pointing into it, and an echo of an empty body (head, end and
    trailers in one part: the stream must stay open after the head for the trailers)."""
    big = start_server(*TRAILERS, "--body-size", "200000")
    echo = start_server(*TRAILERS, "--echo")
    for server, expected in ((big, b"x" * 200000), (echo, b"")):
        client = H2Client(server.connect())
        try:
            result = client.get("/")
            assert bytes(result.body) == expected
            assert result.trailers == [("x-checksum", "abc123"), ("grpc-status", "0")]
            assert result.header("content-type") is not None
        finally:
            client.sock.close()


def test_trailer_option_is_checked():
    for bad in ("no-colon", ": no name", "bad name: x"):
        completed = subprocess.run(server_command(0, "--trailer", bad), capture_output=True, text=True, timeout=10)
        assert completed.returncode != 0
        assert "--trailer" in completed.stderr
