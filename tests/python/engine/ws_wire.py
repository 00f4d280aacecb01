"""A raw WebSocket client (RFC 6455) over a plain socket, for the protocol tests.

The `websockets` library refuses to send broken frames and hides the close frame's bytes; these tests need
both: they write exactly the frames they want (unmasked, bad opcodes, fragmented pings, invalid UTF-8) and
read the server's frames one by one. Every read has the socket's timeout, so a silent server fails the test.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import socket
import struct

from engine_wire import HttpReader, ProtocolError, Response

HANDSHAKE_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


def handshake_request(key: bytes, *, version: str = "13", extra: bytes = b"", path: bytes = b"/ws") -> bytes:
    return (
        b"GET " + path + b" HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: " + version.encode() + b"\r\n" + extra + b"\r\n"
    )


def new_key() -> bytes:
    return base64.b64encode(os.urandom(16))


def expected_accept(key: bytes) -> str:
    return base64.b64encode(hashlib.sha1(key + HANDSHAKE_GUID).digest()).decode()


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True, rsv: int = 0) -> bytes:
    """One client frame; masked with a random key unless `masked` is False (which a server must refuse)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


@dataclasses.dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes
    rsv: int = 0  # the RSV bits, 0x4 being RSV1 (permessage-deflate's "compressed")

    @property
    def close_code(self) -> int | None:
        """A close frame's code; None for an empty close frame."""
        if self.opcode != OP_CLOSE:
            raise ProtocolError(f"not a close frame: opcode {self.opcode:#x}")
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None


class RawWebSocket:
    """An upgraded connection: send raw frames, read the server's frames."""

    def __init__(self, sock: socket.socket, reader: HttpReader, response: Response) -> None:
        self.sock = sock
        self.reader = reader
        self.response = response

    @classmethod
    def open(
        cls, sock: socket.socket, *, extra: bytes = b"", first_bytes: bytes = b"", path: bytes = b"/ws"
    ) -> RawWebSocket:
        """Handshake (with `first_bytes` of frames sent in the same write) and check the 101."""
        key = new_key()
        sock.sendall(handshake_request(key, extra=extra, path=path) + first_bytes)
        reader = HttpReader(sock)
        response = reader.read_head()
        if response.status != 101:
            raise ProtocolError(f"handshake answered {response.status}, expected 101")
        if response.header("Sec-WebSocket-Accept") != expected_accept(key):
            raise ProtocolError(f"wrong Sec-WebSocket-Accept {response.header('Sec-WebSocket-Accept')!r}")
        return cls(sock, reader, response)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> Frame:
        first, second = self.reader._read_exact(2)
        if second & 0x80:
            raise ProtocolError("the server masked a frame")
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.reader._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.reader._read_exact(8))[0]
        return Frame(bool(first & 0x80), first & 0x0F, self.reader._read_exact(length), (first >> 4) & 0x7)

    def read_close(self) -> Frame:
        """Reads frames until a close frame (skipping pings), which it returns."""
        while True:
            received = self.read_frame()
            if received.opcode == OP_CLOSE:
                return received
            if received.opcode != OP_PING:
                raise ProtocolError(f"expected a close frame, got opcode {received.opcode:#x}")

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        return self.reader.closed_by_server(timeout)
