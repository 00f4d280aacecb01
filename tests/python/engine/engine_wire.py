"""A deliberately small HTTP/1.1 response reader over a raw socket.

The end-to-end tests need to see exactly what the server put on the wire (interim 100 responses, pipelined
responses back to back, a HEAD response without a body, the connection closing), which client libraries
hide. Every read has the socket's timeout, so a silent server fails the test.
"""

from __future__ import annotations

import dataclasses
import socket
import time


class ProtocolError(AssertionError):
    """The server sent bytes that are not a well-formed HTTP/1.1 response."""


@dataclasses.dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of the last header with this name (case-insensitive), or None."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


class HttpReader:
    """Reads responses one at a time from a connected socket, keeping bytes that belong to the next one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionAbortedError("connection closed by the server")
        self.buffer += chunk
        return chunk

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_head(self) -> Response:
        status_line = self._read_line()
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {status_line!r}")
        headers = []
        while line := self._read_line():
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"bad header line {line!r}")
            headers.append((name, value.strip()))
        return Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"")

    def read_response(self, *, head_request: bool = False) -> Response:
        """The next response, body included. 1xx responses are returned like any other (they have no body)."""
        response = self.read_head()
        if head_request or response.status < 200 or response.status in (204, 304):
            return response
        transfer_encoding = (response.header("Transfer-Encoding") or "").lower()
        content_length = response.header_values("Content-Length")
        if transfer_encoding:
            if transfer_encoding != "chunked":
                raise ProtocolError(f"unexpected Transfer-Encoding {transfer_encoding!r}")
            response.body = self._read_chunked()
        elif content_length:
            if len(set(content_length)) != 1:
                raise ProtocolError(f"conflicting Content-Length {content_length}")
            response.body = self._read_exact(int(content_length[0]))
        else:
            response.body = self.read_until_closed()
        return response

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self._read_line().split(b";", 1)[0].strip()
            size = int(size_line, 16)
            if size == 0:
                while self._read_line():  # trailers up to the empty line
                    pass
                return bytes(body)
            body += self._read_exact(size)
            if self._read_exact(2) != b"\r\n":
                raise ProtocolError("chunk not followed by CRLF")

    def read_until_closed(self) -> bytes:
        """Everything up to the server's close (a reset after the data counts as a close)."""
        while True:
            try:
                self._fill()
            except (ConnectionAbortedError, ConnectionResetError):
                data, self.buffer = self.buffer, b""
                return data

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        """True when the server closes (EOF or reset) within `timeout` without sending any more bytes.
        False on a timeout; raises ProtocolError when more bytes arrive."""
        if self.buffer:
            raise ProtocolError(f"unexpected bytes after the response: {self.buffer[:200]!r}")
        previous = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(previous)
        if chunk:
            raise ProtocolError(f"unexpected bytes after the response: {chunk[:200]!r}")
        return True


def exchange(sock: socket.socket, request: bytes, *, head_request: bool = False) -> Response:
    """Send one request on a fresh reader and read its response."""
    sock.sendall(request)
    return HttpReader(sock).read_response(head_request=head_request)


def wait_closed(sock: socket.socket, timeout: float) -> float:
    """Seconds until the server closed the idle connection; fails when it stays open past `timeout`."""
    started = time.monotonic()
    reader = HttpReader(sock)
    if not reader.closed_by_server(timeout):
        raise AssertionError(f"connection still open after {timeout}s")
    return time.monotonic() - started
