"""A raw HTTP/2 client over a plain or TLS socket, for the protocol tests.

httpx and curl hide the frames; these tests need them: they send exactly the frames they want (through the `h2`
state machine, or hand-built with `hyperframe` where `h2` refuses to build a broken one) and look at the server's
frames one event at a time. Every read has the socket's timeout, so a silent server fails the test.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import time
from collections.abc import Callable, Iterable

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from hyperframe.frame import Frame

CLIENT_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 7: error codes.
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
ENHANCE_YOUR_CALM = 0xB


@dataclasses.dataclass
class StreamResult:
    """What one stream received."""

    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    trailers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    body: bytearray = dataclasses.field(default_factory=bytearray)
    ended: bool = False
    reset: int | None = None  # RST_STREAM error code

    @property
    def status(self) -> int:
        return int(self.header(":status") or 0)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def request_headers(method: str = "GET", path: str = "/", authority: str = "test", extra=()) -> list[tuple[str, str]]:
    return [(":method", method), (":scheme", "http"), (":authority", authority), (":path", path), *extra]


class H2Client:
    """One client connection: an `h2` state machine driven over a socket, collecting what each stream got."""

    def __init__(self, sock: socket.socket | ssl.SSLSocket, *, validate: bool = True, send_preface: bool = True):
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding="utf-8",
            validate_outbound_headers=validate,
            normalize_outbound_headers=validate,
            validate_inbound_headers=validate,
        )
        self.sock = sock
        self.conn = h2.connection.H2Connection(config=config)
        self.streams: dict[int, StreamResult] = {}
        self.events: list[h2.events.Event] = []
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.closed = False
        self.remote_settings: dict[int, int] = {}
        if send_preface:
            self.conn.initiate_connection()
            self.flush()

    # --- sending ------------------------------------------------------------------------------------------
    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, frame: Frame) -> None:
        """A hand-built frame, past the state machine (for frames a correct client never sends)."""
        self.sock.sendall(frame.serialize())

    def request(
        self, method: str = "GET", path: str = "/", body: bytes | None = None, extra=(), *, open_body: bool = False
    ) -> int:
        """Sends a request; `open_body` leaves the stream open for send_body or hand-built DATA frames."""
        return self.request_with(request_headers(method, path, extra=extra), body, open_body=open_body)

    def request_with(self, headers, body: bytes | None = None, *, open_body: bool = False) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        self.streams[stream_id] = StreamResult()
        self.conn.send_headers(stream_id, headers, end_stream=body is None and not open_body)
        self.flush()
        if body is not None:
            self.send_body(stream_id, body)
        return stream_id

    def send_body(self, stream_id: int, body: bytes, end_stream: bool = True) -> None:
        """Sends `body` as flow control allows, reading the server's WINDOW_UPDATEs in between."""
        view = memoryview(body)
        while view:
            window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
            if window <= 0:
                self.read_events()
                continue
            chunk = view[:window]
            self.conn.send_data(stream_id, bytes(chunk))
            self.flush()
            view = view[window:]
        if end_stream:
            self.conn.end_stream(stream_id)
            self.flush()

    def header_block(self, headers: Iterable[tuple[str, str]]) -> bytes:
        """An HPACK block for hand-built HEADERS frames, from the connection's own encoder (its table stays in step)."""
        return self.conn.encoder.encode(list(headers))

    # --- receiving ----------------------------------------------------------------------------------------
    def read_events(self) -> list[h2.events.Event]:
        """One read from the socket, fed to the state machine. An empty read marks the connection closed."""
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return []
        events = self.conn.receive_data(data)
        for event in events:
            self._record(event)
        self.events += events
        self.flush()
        return events

    def _record(self, event: h2.events.Event) -> None:
        stream_id = getattr(event, "stream_id", None)
        result = self.streams.setdefault(stream_id, StreamResult()) if stream_id else None
        if isinstance(event, h2.events.ResponseReceived):
            assert result is not None
            result.headers += [(k, v) for k, v in event.headers]
        elif isinstance(event, h2.events.TrailersReceived):
            assert result is not None
            result.trailers += [(k, v) for k, v in event.headers]
        elif isinstance(event, h2.events.DataReceived):
            assert result is not None
            result.body += event.data
            # The window goes back as the test consumes the data, like a real client.
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            assert result is not None
            result.ended = True
        elif isinstance(event, h2.events.StreamReset):
            assert result is not None
            result.reset = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            for key, changed in event.changed_settings.items():
                self.remote_settings[int(key)] = changed.new_value

    def wait_for(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.closed:
                raise AssertionError("the server closed the connection first")
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the server")
            self.read_events()

    def wait_ended(self, *stream_ids: int, timeout: float = 10.0) -> None:
        def finished() -> bool:
            return all(self.streams[s].ended or self.streams[s].reset is not None for s in stream_ids)

        self.wait_for(finished, timeout)

    def wait_closed(self, timeout: float = 10.0) -> None:
        """Reads until the server closes the connection (GOAWAY, if any, recorded in `terminated`)."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            if time.monotonic() > deadline:
                raise AssertionError("the server did not close the connection")
            try:
                self.read_events()
            except h2.exceptions.ProtocolError:
                # After GOAWAY the state machine refuses more frames; the socket's end is what is awaited.
                while self.sock.recv(65536):
                    pass
                self.closed = True
            except ConnectionResetError:
                self.closed = True

    def get(self, path: str = "/", extra=()) -> StreamResult:
        stream_id = self.request("GET", path, extra=extra)
        self.wait_ended(stream_id)
        return self.streams[stream_id]


def raw_frames(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """Splits server bytes into (type, flags, stream id, payload), for tests that bypass the state machine."""
    frames = []
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        if len(data) < 9 + length:
            break
        frames.append((data[3], data[4], int.from_bytes(data[5:9], "big") & 0x7FFFFFFF, data[9 : 9 + length]))
        data = data[9 + length :]
    return frames


