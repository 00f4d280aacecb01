"""The graceful stop (SIGTERM) seen from a keep-alive client, over raw sockets.

A stopping server must not close a keep-alive connection under a request the client may already have sent: a
request arriving on an idle connection during the drain's grace is answered, with Connection: close, and only then
is the connection closed. New connections are refused once the listener is closed, and the listener closes as the
drain begins (what the kernel had queued is accepted and served first).
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from engine_server import HOST
from engine_wire import HttpReader

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def wait_until_refused(port: int, timeout: float = 10.0) -> None:
    """Connect until the server refuses: the drain has begun and closed the listener (a server in its drain
    refuses; one that has not seen the signal yet accepts, and that connection is simply closed again). A reset
    during the handshake says the same: the listener closed while this connect was still in its SYN queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                pass
        except (ConnectionRefusedError, ConnectionResetError):
            return
        time.sleep(0.005)
    raise AssertionError(f"port {port} still accepts connections {timeout} s after SIGTERM")


def read_to_clean_eof(sock: socket.socket, reader: HttpReader) -> bytes:
    """What is left up to the server's FIN; a reset fails the test (unlike HttpReader.read_until_closed)."""
    data, reader.buffer = reader.buffer, b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def open_keep_alive(server) -> tuple[socket.socket, HttpReader]:
    sock = server.connect()
    reader = HttpReader(sock)
    sock.sendall(GET)
    first = reader.read_response()
    assert first.status == 200
    assert (first.header("Connection") or "").lower() != "close"
    return sock, reader


@contextmanager
def draining_with_an_idle_keep_alive(start_server) -> Iterator[tuple[socket.socket, HttpReader]]:
    """A keep-alive connection, idle after one answered request, of a server that has begun its drain (SIGTERM,
    seen once the listener refuses); the server must then exit 0."""
    server = start_server()
    sock, reader = open_keep_alive(server)
    with sock:
        server.process.send_signal(signal.SIGTERM)
        wait_until_refused(server.port)
        yield sock, reader
    assert server.stop() == 0


def test_request_on_an_idle_keep_alive_connection_during_the_drain_is_answered_with_connection_close(start_server):
    with draining_with_an_idle_keep_alive(start_server) as (sock, reader):
        sock.sendall(GET)  # the client reuses its connection just as the server stops
        response = reader.read_response()
        assert response.status == 200
        assert response.body == b"Hello, World!"
        assert response.header("Connection") == "close"
        assert read_to_clean_eof(sock, reader) == b""  # a clean end after the answer, not a reset


def test_idle_keep_alive_connection_is_closed_cleanly_after_the_grace(start_server):
    server = start_server()
    sock, reader = open_keep_alive(server)
    with sock:
        server.process.send_signal(signal.SIGTERM)
        assert read_to_clean_eof(sock, reader) == b""  # FIN without a byte: no half response, no reset
    assert server.stop() == 0


def test_pipelined_requests_arriving_during_the_drain_get_one_answer_then_the_close(start_server):
    with draining_with_an_idle_keep_alive(start_server) as (sock, reader):
        sock.sendall(GET + GET)
        response = reader.read_response()
        assert response.status == 200
        assert response.header("Connection") == "close"
        assert read_to_clean_eof(sock, reader) == b""  # the second request is not answered: the client resends it
