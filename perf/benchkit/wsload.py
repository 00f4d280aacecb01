#!/usr/bin/env python3
"""WebSocket echo load generator (and a reference echo server) for perf/bench's ws-echo scenarios.

No Debian package benchmarks WebSockets, so this is a small client on raw sockets: asyncio protocols (on uvloop
when it imports, as in perf/.venv-peers) and frames built and masked once at start-up. Each of C connections
keeps `depth` messages in flight, sends the next one as soon as an echo arrives, and checks every echo against
what it sent, byte for byte and opcode for opcode: 16 payload variants per connection, taken in turn, so a server
that answers with a stale or foreign message fails the run (exit 2) instead of being counted.

A fast path compares the bytes of one read with the one expected server frame (unmasked, not fragmented); anything
else (several frames in a read, a split frame, fragmentation, pings) goes through the general frame parser.

Standard library only (uvloop optional), runnable as a script: `wsload.py ws://127.0.0.1:8000/ -c 64 -d 10`.
Prints one JSON object: round_trips, seconds, rps, latency_us {p50, p99, max}, errors, and the client's own CPU
time per round trip, which says how far this client can go (its ceiling is 1e6 / client_cpu_us_per_round_trip).

`--serve PORT` runs a reference echo server instead (one asyncio thread, frames parsed and unmasked in Python):
the trivial server the client's own speed is measured against; `--corrupt-every N` makes it answer every Nth
message of a connection with one byte changed, which the client must catch.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
VARIANTS = 16
CLOSE_GRACE_SECONDS = 1.0


class EchoMismatch(Exception):
    """The server's answer was not the message sent: the run is invalid."""


def _xor(data, mask):
    """data XOR the repeated 4-byte mask (RFC 6455 section 5.3), done once per payload as big integers."""
    if not data:
        return b""
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def frame(opcode, payload, mask=None):
    """One final frame; masked (client to server) when `mask` is given."""
    length = len(payload)
    if length < 126:
        head = bytes([0x80 | opcode, (0x80 if mask else 0) | length])
    elif length < 65536:
        head = bytes([0x80 | opcode, (0x80 if mask else 0) | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, (0x80 if mask else 0) | 127]) + length.to_bytes(8, "big")
    return head + mask + _xor(payload, mask) if mask else head + payload


def payloads(size, binary):
    """VARIANTS distinct payloads of `size` bytes: random bytes, or printable ASCII for text (valid UTF-8)."""
    generator = random.Random(6455)
    if binary:
        return [generator.randbytes(size) for _ in range(VARIANTS)]
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    return [bytes(generator.choice(alphabet) for _ in range(size)) for _ in range(VARIANTS)]


class FrameReader:
    """Incremental RFC 6455 frame parser: feed bytes, get (opcode, payload) per complete message or control
    frame. `masked` says which side's frames it reads (servers read masked frames, clients unmasked ones)."""

    def __init__(self, masked):
        self.masked = masked
        self.buffer = bytearray()
        self.fragments = None  # (opcode, [payloads]) of a fragmented message in progress

    def feed(self, data):
        self.buffer += data
        messages = []
        buffer = self.buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            if first & 0x70:
                raise EchoMismatch(f"reserved bits set in frame header {first:#04x} (no extension was negotiated)")
            if bool(second & 0x80) != self.masked:
                raise EchoMismatch("frame masking is wrong for its direction (RFC 6455 section 5.1)")
            length, position = second & 0x7F, 2
            if length >= 126:
                width = 2 if length == 126 else 8
                if len(buffer) < 2 + width:
                    break
                length, position = int.from_bytes(buffer[2:2 + width], "big"), 2 + width
            mask_end = position + (4 if self.masked else 0)
            if len(buffer) < mask_end + length:
                break
            payload = bytes(buffer[mask_end:mask_end + length])
            if self.masked:
                payload = _xor(payload, bytes(buffer[position:mask_end]))
            del buffer[:mask_end + length]
            opcode, final = first & 0x0F, first & 0x80
            if opcode >= OP_CLOSE:
                messages.append((opcode, payload))
            elif opcode == OP_CONTINUATION:
                if self.fragments is None:
                    raise EchoMismatch("continuation frame without a message in progress")
                self.fragments[1].append(payload)
            elif self.fragments is not None:
                raise EchoMismatch("new data frame while a fragmented message is in progress")
            else:
                self.fragments = (opcode, [payload])
            if final and opcode < OP_CLOSE:
                messages.append((self.fragments[0], b"".join(self.fragments[1])))
                self.fragments = None
        return messages


def _handshake_request(host, port, path):
    key = base64.b64encode(os.urandom(16))
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    return request, base64.b64encode(hashlib.sha1(key + GUID).digest())


class Run:
    """What every connection of one load run shares: frames, deadline, counters, latencies, the first error."""

    def __init__(self, options):
        self.opcode = OP_BINARY if options.binary else OP_TEXT
        self.payloads = payloads(options.size, options.binary)
        mask_source = random.Random(1)
        self.sent_frames = [frame(self.opcode, payload, mask_source.randbytes(4)) for payload in self.payloads]
        self.expected_frames = [frame(self.opcode, payload) for payload in self.payloads]
        self.close_frame = frame(OP_CLOSE, (1000).to_bytes(2, "big"), b"\x00\x00\x00\x00")
        self.depth = options.depth
        self.messages = options.messages  # per connection, or 0: run until the deadline
        self.measuring = False
        self.stopping = False
        self.round_trips = 0
        self.latencies_ns = []
        self.socket_errors = 0
        self.error = None
        self.done = None  # future: set when every connection finished or an error stops the run
        self.open_connections = 0

    def fail(self, error):
        if self.error is None:
            self.error = error
        if not self.done.done():
            self.done.set_result(None)


class EchoClient(asyncio.Protocol):
    def __init__(self, run, index, host, port, path, handshake_done):
        self.run = run
        self.index = index
        self.request, self.expected_accept = _handshake_request(host, port, path)
        self.handshake_done = handshake_done
        self.handshake_buffer = b""
        self.reader = None
        self.transport = None
        self.sent = 0
        self.received = 0
        self.sent_at = []  # send times of the messages in flight, oldest first
        self.closing = False

    # -- connection and handshake
    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def _handshake(self, data):
        self.handshake_buffer += data
        head, separator, rest = self.handshake_buffer.partition(b"\r\n\r\n")
        if not separator:
            return
        lines = head.split(b"\r\n")
        headers = {name.strip().lower(): value.strip()
                   for name, _, value in (line.partition(b":") for line in lines[1:])}
        if not lines[0].startswith(b"HTTP/1.1 101"):
            raise EchoMismatch(f"handshake refused: {lines[0].decode(errors='replace')}")
        if headers.get(b"sec-websocket-accept") != self.expected_accept:
            raise EchoMismatch("handshake: wrong Sec-WebSocket-Accept")
        if headers.get(b"sec-websocket-extensions"):
            raise EchoMismatch("handshake: the server chose an extension the client did not offer")
        self.reader = FrameReader(masked=False)
        self.run.open_connections += 1
        self.handshake_done.set_result(self)
        if rest:
            self._frames(rest)

    def start(self):
        for _ in range(self.run.depth):
            self._send()

    def _send(self):
        run = self.run
        if run.stopping or (run.messages and self.sent >= run.messages):
            return
        self.transport.write(run.sent_frames[(self.index + self.sent) % VARIANTS])
        self.sent += 1
        self.sent_at.append(time.perf_counter_ns())

    # -- echoes
    def data_received(self, data):
        try:
            if self.reader is None:
                self._handshake(data)
                return
            run = self.run
            # Fast path: one read holding exactly the expected frame (the common case at depth 1).
            if (self.sent_at and not self.reader.buffer and self.reader.fragments is None
                    and data == run.expected_frames[(self.index + self.received) % VARIANTS]):
                self._echoed()
            else:
                self._frames(data)
        except EchoMismatch as error:
            if not self.handshake_done.done():
                self.handshake_done.set_exception(ConnectionError(f"connection {self.index}: {error}"))
            self.run.fail(f"connection {self.index}: {error}")
            self.transport.abort()

    def _frames(self, data):
        for opcode, payload in self.reader.feed(data):
            if opcode == OP_PING:
                self.transport.write(frame(OP_PONG, payload, os.urandom(4)))
            elif opcode == OP_PONG:
                continue
            elif opcode == OP_CLOSE:
                self._server_closed(payload)
                return
            else:
                self._check(opcode, payload)
                self._echoed()

    def _check(self, opcode, payload):
        if not self.sent_at:
            raise EchoMismatch(f"a message arrived with none in flight ({len(payload)} bytes)")
        variant = (self.index + self.received) % VARIANTS
        expected = self.run.payloads[variant]
        if opcode != self.run.opcode:
            raise EchoMismatch(f"echo #{self.received} came back with opcode {opcode}, sent {self.run.opcode}")
        if payload != expected:
            offset = next((index for index, (got, sent) in enumerate(zip(payload, expected)) if got != sent),
                          min(len(payload), len(expected)))
            raise EchoMismatch(f"echo #{self.received} differs from the message sent: {len(payload)} bytes received, "
                               f"{len(expected)} sent, first difference at byte {offset}")

    def _echoed(self):
        run = self.run
        sent_at = self.sent_at.pop(0)
        self.received += 1
        if run.measuring:
            run.round_trips += 1
            run.latencies_ns.append(time.perf_counter_ns() - sent_at)
        if run.stopping:
            if not self.sent_at:
                self.close()
        elif run.messages and self.received >= run.messages:
            self.close()
        else:
            self._send()

    # -- closing
    def close(self):
        if not self.closing:
            self.closing = True
            self.transport.write(self.run.close_frame)

    def _server_closed(self, payload):
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
        if not self.closing:
            self.run.fail(f"connection {self.index}: the server closed with code {code} "
                          f"{payload[2:].decode(errors='replace')!r} after {self.received} echoes")
        self.transport.close()

    def connection_lost(self, exc):
        run = self.run
        if self.reader is not None:
            run.open_connections -= 1
        if not self.handshake_done.done():
            self.handshake_done.set_exception(ConnectionError(f"connection {self.index} closed during the handshake"))
        elif not self.closing and not run.stopping:
            run.socket_errors += 1
            run.fail(f"connection {self.index}: the server dropped the connection after {self.received} echoes")
        if run.open_connections == 0 and run.done is not None and not run.done.done():
            run.done.set_result(None)


def _percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))] / 1000


async def load(options):
    loop = asyncio.get_running_loop()
    run = Run(options)
    run.done = loop.create_future()
    clients = []
    for index in range(options.connections):
        handshake_done = loop.create_future()
        await loop.create_connection(lambda: EchoClient(run, index, options.host, options.port, options.path,
                                                        handshake_done), options.host, options.port)
        clients.append(await asyncio.wait_for(handshake_done, 10))
    cpu_before, started = time.process_time_ns(), time.monotonic()
    run.measuring = True
    for client in clients:
        client.start()
    if options.messages:
        await asyncio.wait_for(run.done, options.duration)
    else:
        try:
            await asyncio.wait_for(asyncio.shield(run.done), options.duration)
        except asyncio.TimeoutError:
            pass
    run.measuring, run.stopping = False, True
    seconds = time.monotonic() - started
    cpu_after = time.process_time_ns()
    if run.error is None:
        # Messages still in flight are echoed (and checked) before each connection closes.
        for client in clients:
            if not client.sent_at:
                client.close()
        deadline = time.monotonic() + CLOSE_GRACE_SECONDS
        while run.open_connections and time.monotonic() < deadline and run.error is None:
            await asyncio.sleep(0.01)
    for client in clients:
        client.transport.abort()
    latencies = sorted(run.latencies_ns)
    client_cpu_us = (cpu_after - cpu_before) / 1000
    return run, {
        "tool": "wsload", "requests": run.round_trips, "round_trips": run.round_trips, "seconds": seconds,
        "rps": run.round_trips / seconds if seconds else 0.0,
        "latency_us": {"p50": _percentile(latencies, 0.50), "p99": _percentile(latencies, 0.99),
                       "max": latencies[-1] / 1000 if latencies else None},
        "errors": {"non_2xx": 0, "socket": run.socket_errors},
        "message": {"bytes": options.size, "type": "binary" if options.binary else "text", "depth": options.depth},
        "client_cpu_us_per_round_trip": client_cpu_us / run.round_trips if run.round_trips else None,
        "client_cpu_share": client_cpu_us / 1e6 / seconds if seconds else None,
        "client_loop": options.loop_name,
    }


class ReferenceEchoServer(asyncio.Protocol):
    """The trivial server: handshake, then each message straight back, parsed and unmasked in Python."""

    corrupt_every = 0

    def connection_made(self, transport):
        self.transport, self.head, self.reader, self.messages = transport, b"", None, 0

    def data_received(self, data):
        if self.reader is None:
            self.head += data
            request, separator, rest = self.head.partition(b"\r\n\r\n")
            if not separator:
                return
            key = next((line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                        if line.lower().startswith(b"sec-websocket-key:")), None)
            if key is None:  # a plain HTTP request: perf/bench's readiness probe
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                self.transport.close()
                return
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
            self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            self.reader, data = FrameReader(masked=True), rest
        for opcode, payload in self.reader.feed(data):
            if opcode == OP_CLOSE:
                self.transport.write(frame(OP_CLOSE, payload[:2]))
                self.transport.close()
                return
            if opcode == OP_PING:
                self.transport.write(frame(OP_PONG, payload))
            elif opcode in (OP_TEXT, OP_BINARY):
                self.messages += 1
                if self.corrupt_every and self.messages % self.corrupt_every == 0 and payload:
                    payload = bytes([payload[0] ^ 0x01]) + payload[1:]
                self.transport.write(frame(opcode, payload))


async def serve(options):
    ReferenceEchoServer.corrupt_every = options.corrupt_every
    server = await asyncio.get_running_loop().create_server(ReferenceEchoServer, options.host, options.serve,
                                                            backlog=1024)
    async with server:
        await server.serve_forever()


def _use_best_loop(choice):
    if choice in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise SystemExit("wsload: --loop uvloop, but uvloop is not installed for this python")
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            return f"uvloop {uvloop.__version__}"
    return "asyncio"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="wsload", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="ws://HOST:PORT/PATH to load")
    parser.add_argument("-c", "--connections", type=int, default=64, help="[%(default)s]")
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds of load [%(default)s]")
    parser.add_argument("--size", type=int, default=64, help="message bytes [%(default)s]")
    parser.add_argument("--binary", action="store_true", help="binary messages (default: text)")
    parser.add_argument("--depth", type=int, default=1, help="messages in flight per connection [%(default)s]")
    parser.add_argument("--messages", type=int, default=0,
                        help="round trips per connection, then close (0: until --duration ends) [%(default)s]")
    parser.add_argument("--loop", choices=["auto", "uvloop", "asyncio"], default="auto", help="[%(default)s]")
    parser.add_argument("--serve", type=int, metavar="PORT", help="run the reference echo server instead")
    parser.add_argument("--host", default="127.0.0.1", help="--serve: address to listen on [%(default)s]")
    parser.add_argument("--corrupt-every", type=int, default=0, metavar="N",
                        help="--serve: change one byte of every Nth echo of a connection (tests the client)")
    options = parser.parse_args(argv)
    if options.serve is None:
        if not options.url or not options.url.startswith("ws://"):
            parser.error("give a ws://HOST:PORT/PATH url (wss is not supported), or --serve PORT")
        host_port, _, path = options.url[len("ws://"):].partition("/")
        options.host, _, port = host_port.rpartition(":")
        if not options.host or not port.isdigit():
            parser.error(f"url {options.url!r} needs an explicit host and port")
        options.port, options.path = int(port), "/" + path
        for name in ("connections", "size", "depth"):
            if getattr(options, name) < (0 if name == "size" else 1):
                parser.error(f"--{name} must be positive")
        if options.duration <= 0 or options.messages < 0:
            parser.error("--duration must be positive and --messages not negative")
    return options


def main(argv=None):
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    options.loop_name = _use_best_loop(options.loop)
    if options.serve is not None:
        try:
            asyncio.run(serve(options))
        except KeyboardInterrupt:
            pass
        return 0
    try:
        run, result = asyncio.run(load(options))
    except (OSError, asyncio.TimeoutError) as error:
        print(f"wsload: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    if run.error:
        print(f"wsload: {run.error}", file=sys.stderr)
        return 2
    if options.messages and run.round_trips != options.messages * options.connections:
        print(f"wsload: {run.round_trips} of {options.messages * options.connections} round trips done",
              file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
