"""HTTP/2 abuse on uring-serve, with raw frames: each flood ends in GOAWAY with the right error code and a close, and
the server goes on serving other connections. Frames are built with hyperframe and HPACK blocks with hpack, past
any client state machine, since the point is to send what a correct client never would."""

from __future__ import annotations

import time

import hpack
import pytest
from h2_wire import CLIENT_PREFACE, ENHANCE_YOUR_CALM, PROTOCOL_ERROR, REFUSED_STREAM, raw_frames, request_headers
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

GOAWAY = 0x7
RST_STREAM = 0x3
DATA = 0x0


class RawConnection:
    """A socket that has sent the client preface; frames go out as bytes, the server's come back parsed."""

    def __init__(self, server) -> None:
        self.sock = server.connect()
        self.encoder = hpack.Encoder()
        self.received = b""
        self.sock.sendall(CLIENT_PREFACE + SettingsFrame(0).serialize())

    def send(self, *frames) -> None:
        self.sock.sendall(b"".join(frame.serialize() for frame in frames))

    def headers(self, stream_id: int, fields, *, end_stream: bool = True, end_headers: bool = True) -> HeadersFrame:
        flags = (["END_STREAM"] if end_stream else []) + (["END_HEADERS"] if end_headers else [])
        return HeadersFrame(stream_id, data=self.encoder.encode(fields), flags=flags)

    def read_until_closed(self, timeout: float = 10.0) -> list[tuple[int, int, int, bytes]]:
        """Everything until the server closes the connection; fails when it does not within `timeout`."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(timeout)
        try:
            while chunk := self.sock.recv(65536):
                self.received += chunk
                if time.monotonic() > deadline:
                    pytest.fail("the server kept the connection open")
        except ConnectionResetError:
            pass  # a reset after the GOAWAY, from unread input: the close we wait for
        except TimeoutError:
            pytest.fail("the server did not close the connection")
        return raw_frames(self.received)

    def goaway_code(self, timeout: float = 10.0) -> int:
        goaways = [payload for kind, _, _, payload in self.read_until_closed(timeout) if kind == GOAWAY]
        assert goaways, "no GOAWAY before the close"
        return int.from_bytes(goaways[-1][4:8], "big")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_connection():
    connections: list[RawConnection] = []

    def connect(server) -> RawConnection:
        connections.append(RawConnection(server))
        return connections[-1]

    yield connect
    for connection in connections:
        connection.close()


def still_serves(raw_connection, server) -> None:
    """A fresh connection is answered: the flood cost its own connection only."""
    fresh = raw_connection(server)
    fresh.send(fresh.headers(1, request_headers()))
    fresh.sock.settimeout(10)
    while not any(kind == DATA and sid == 1 for kind, _, sid, _ in raw_frames(fresh.received)):
        chunk = fresh.sock.recv(65536)
        assert chunk, "the server closed a well-behaved connection"
        fresh.received += chunk


def test_rapid_reset_ends_in_enhance_your_calm(hello_server, raw_connection):
    """CVE-2023-44487: open a stream, reset it at once, again and again."""
    connection = raw_connection(hello_server)
    frames = []
    for index in range(1500):
        stream_id = 1 + 2 * index
        frames += [connection.headers(stream_id, request_headers(), end_stream=False), RstStreamFrame(stream_id, 8)]
    connection.send(*frames)
    assert connection.goaway_code() == ENHANCE_YOUR_CALM
    still_serves(raw_connection, hello_server)


def test_continuation_flood_ends_in_enhance_your_calm(hello_server, raw_connection):
    """CVE-2024-27316: a header block that never ends, in empty CONTINUATION frames."""
    connection = raw_connection(hello_server)
    frames = [connection.headers(1, request_headers(), end_headers=False)]
    frames += [ContinuationFrame(1, data=b"") for _ in range(200)]
    connection.send(*frames)
    assert connection.goaway_code() == ENHANCE_YOUR_CALM
    still_serves(raw_connection, hello_server)


def test_oversized_header_block_ends_in_enhance_your_calm(start_server, raw_connection):
    server = start_server("--max-header-size", "1024")
    connection = raw_connection(server)
    # Literal fields (never indexed), 16 KiB each, in CONTINUATION frames: 80 KiB raw, past 64 KiB.
    field = hpack.Encoder().encode([("x-filler", "f" * 16000)])
    frames = [connection.headers(1, request_headers(), end_headers=False)]
    frames += [ContinuationFrame(1, data=field) for _ in range(5)]
    frames[-1].flags.add("END_HEADERS")
    connection.send(*frames)
    assert connection.goaway_code() == ENHANCE_YOUR_CALM


def test_header_list_over_the_limit_is_431(start_server, raw_connection):
    """Over --max-header-size but not absurdly so: the stream is answered 431, the connection lives."""
    server = start_server("--max-header-size", "1024")
    connection = raw_connection(server)
    connection.send(connection.headers(1, request_headers(extra=[("x-big", "b" * 3000)])))
    connection.sock.settimeout(10)
    while not any(kind == DATA and sid == 1 for kind, _, sid, _ in raw_frames(connection.received)):
        chunk = connection.sock.recv(65536)
        assert chunk
        connection.received += chunk
    headers = next(payload for kind, _, sid, payload in raw_frames(connection.received) if kind == 0x1 and sid == 1)
    assert dict(hpack.Decoder().decode(headers))[":status"] == "431"


def test_hpack_bomb_ends_in_enhance_your_calm(hello_server, raw_connection):
    """One 4 KB field in the dynamic table, then thousands of one-byte references to it."""
    connection = raw_connection(hello_server)
    block = connection.encoder.encode([*request_headers(), ("x-bomb", "b" * 4000)])
    # The field was added at dynamic index 62 (the first after the 61 static ones): 0x80 | 62.
    block += b"\xbe" * 12000  # the frame stays under the 16 KiB SETTINGS_MAX_FRAME_SIZE
    connection.send(HeadersFrame(1, data=block, flags=["END_STREAM", "END_HEADERS"]))
    assert connection.goaway_code() == ENHANCE_YOUR_CALM
    still_serves(raw_connection, hello_server)


@pytest.mark.parametrize(
    ("name", "make", "count"),
    [
        ("settings", lambda i: SettingsFrame(0, settings={0x3: 100}), 300),
        ("ping", lambda i: PingFrame(0, opaque_data=i.to_bytes(8, "big")), 300),
        ("priority", lambda i: PriorityFrame(1 + 2 * i, depends_on=0, stream_weight=16), 3000),
    ],
)
def test_control_frame_floods_end_in_enhance_your_calm(hello_server, raw_connection, name, make, count):
    connection = raw_connection(hello_server)
    connection.send(*(make(i) for i in range(count)))
    assert connection.goaway_code() == ENHANCE_YOUR_CALM, name
    still_serves(raw_connection, hello_server)


def test_empty_data_flood_ends_in_enhance_your_calm(echo_server, raw_connection):
    connection = raw_connection(echo_server)
    frames = [connection.headers(1, request_headers("POST"), end_stream=False)]
    frames += [DataFrame(1, data=b"") for _ in range(300)]
    connection.send(*frames)
    assert connection.goaway_code() == ENHANCE_YOUR_CALM


def test_streams_over_the_concurrency_limit_are_refused(start_server, raw_connection):
    server = start_server("--echo", "--http2-max-concurrent-streams", "10")
    connection = raw_connection(server)
    # Ten open uploads, then one more: refused (its stream reset), the ten still finish.
    connection.send(*(connection.headers(1 + 2 * i, request_headers("POST"), end_stream=False) for i in range(11)))
    connection.sock.settimeout(10)
    while not any(kind == RST_STREAM and sid == 21 for kind, _, sid, _ in raw_frames(connection.received)):
        chunk = connection.sock.recv(65536)
        assert chunk
        connection.received += chunk
    reset = next(payload for kind, _, sid, payload in raw_frames(connection.received) if kind == RST_STREAM)
    assert int.from_bytes(reset, "big") in (REFUSED_STREAM, PROTOCOL_ERROR)
    connection.send(*(DataFrame(1 + 2 * i, data=b"body", flags=["END_STREAM"]) for i in range(10)))
    while sum(1 for kind, flags, _, _ in raw_frames(connection.received) if kind == DATA and flags & 0x1) < 10:
        chunk = connection.sock.recv(65536)
        assert chunk
        connection.received += chunk
    # And a client that keeps opening streams past the limit is a flood like rapid reset.
    connection.send(
        *(connection.headers(23 + 2 * i, request_headers("POST"), end_stream=False) for i in range(10, 1600))
    )
    assert connection.goaway_code() == ENHANCE_YOUR_CALM


def test_client_that_never_reads_is_cut(start_server, raw_connection):
    """A zero window (no WINDOW_UPDATE ever) stalls the response: after the keep-alive timeout the connection ends."""
    server = start_server("--body-size", str(4 * 1024 * 1024), "--http2-keep-alive-timeout", "1")
    connection = raw_connection(server)
    connection.send(connection.headers(1, request_headers()))
    started = time.monotonic()
    connection.goaway_code(timeout=15)
    assert time.monotonic() - started < 10
    data = sum(len(payload) for kind, _, _, payload in raw_frames(connection.received) if kind == DATA)
    assert data <= 65535  # never more than the window we gave


def test_client_that_never_reads_big_windows_is_cut(start_server, raw_connection):
    """Windows wide open but the socket never read: the output fills, reading stops, and the stall timer ends it."""
    server = start_server("--body-size", str(64 * 1024 * 1024), "--http2-keep-alive-timeout", "1")
    connection = raw_connection(server)
    connection.send(
        SettingsFrame(0, settings={0x4: (1 << 31) - 1}),
        WindowUpdateFrame(0, window_increment=(1 << 31) - 1 - 65535),
        connection.headers(1, request_headers()),
    )
    time.sleep(4)  # not reading: the server's output fills the socket buffers and stalls
    started = time.monotonic()
    connection.read_until_closed(timeout=30)
    assert time.monotonic() - started < 30
    data = sum(len(payload) for kind, _, _, payload in raw_frames(connection.received) if kind == DATA)
    assert data < 64 * 1024 * 1024  # cut, not completed


def test_keep_alive_ping_unanswered_closes(start_server, raw_connection):
    """--http2-keep-alive-interval: with a stream open, the server PINGs; a client that never ACKs is closed."""
    server = start_server("--echo", "--http2-keep-alive-interval", "200", "--http2-keep-alive-timeout", "1")
    connection = raw_connection(server)
    connection.send(connection.headers(1, request_headers("POST"), end_stream=False))  # an upload left open
    started = time.monotonic()
    frames = connection.read_until_closed(timeout=10)
    assert time.monotonic() - started < 5
    assert any(kind == 0x6 and not flags & 0x1 for kind, flags, _, _ in frames)  # our PING, never ACKed


def test_keep_alive_ping_answered_keeps_the_connection(start_server, raw_connection):
    server = start_server("--echo", "--http2-keep-alive-interval", "200", "--http2-keep-alive-timeout", "1")
    connection = raw_connection(server)
    connection.send(connection.headers(1, request_headers("POST"), end_stream=False))
    connection.sock.settimeout(0.2)
    pings = 0
    deadline = time.monotonic() + 2.5
    buffered = b""
    while time.monotonic() < deadline:
        try:
            chunk = connection.sock.recv(65536)
        except TimeoutError:
            continue
        assert chunk, "the server closed a connection that answers its PINGs"
        buffered += chunk
        frames = raw_frames(buffered)
        consumed = sum(9 + len(payload) for *_, payload in frames)
        buffered = buffered[consumed:]
        for kind, flags, _, payload in frames:
            if kind == 0x6 and not flags & 0x1:
                pings += 1
                connection.send(PingFrame(0, opaque_data=payload, flags=["ACK"]))
    assert pings >= 3  # one every interval, each answered
    connection.send(DataFrame(1, data=b"done", flags=["END_STREAM"]))
    connection.sock.settimeout(10)
    received = b""
    while not any(kind == DATA and payload == b"done" for kind, _, _, payload in raw_frames(received)):
        chunk = connection.sock.recv(65536)
        assert chunk
        received += chunk
