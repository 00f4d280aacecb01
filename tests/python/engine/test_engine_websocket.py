"""WebSockets (RFC 6455) in uring-serve over real sockets: the `websockets` client for behaviour a browser or
library sees, raw frames (ws_wire.py) for protocol violations and exact close codes.

`uring-serve --ws-echo` accepts every upgrade and echoes each message; the text message "close CODE REASON"
makes it close the session instead. With --log-level debug it logs each session's end with the code and
reason its handler got (on_ws_close), which is how these tests see the server's side of a close.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import ssl
import subprocess
import threading
import time
import zlib

import pytest
import websockets
from engine_server import URING_SERVE, Server
from engine_wire import HttpReader, exchange
from websockets.asyncio.client import connect
from ws_wire import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    RawWebSocket,
    close_payload,
    frame,
    handshake_request,
    new_key,
)

HELLO_BODY = b"Hello, World!"
CLOSE_WAIT = 5.0


def ws_url(server: Server, path: str = "/ws") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def wait_for_log(server: Server, pattern: str, timeout: float = CLOSE_WAIT) -> re.Match[str]:
    """The first stderr line of the server matching `pattern`, waiting for it to be written."""
    deadline = time.monotonic() + timeout
    while True:
        for line in list(server.stderr_lines):
            if match := re.search(pattern, line):
                return match
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line matching {pattern!r}; stderr:\n{server.stderr_text()}")
        time.sleep(0.02)


def closes_logged(server: Server) -> list[tuple[int, str]]:
    """(code, reason) of every on_ws_close the server logged so far."""
    found = []
    for line in list(server.stderr_lines):
        if match := re.search(r'websocket \d+/\d+ closed: (\d+) "(.*)"', line):
            found.append((int(match.group(1)), match.group(2)))
    return found


@pytest.fixture(scope="module")
def ws_server(module_server_factory) -> Server:
    return module_server_factory("--ws-echo", "--log-level", "debug")


# ---------------------------------------------------------------------------------------------------------
# The websockets client


async def echo_round_trips(url: str) -> None:
    async with connect(url, max_size=None) as ws:
        await ws.send("hello, wörld")
        assert await ws.recv() == "hello, wörld"
        await ws.send(b"\x00\x01\xffbinary")
        assert await ws.recv() == b"\x00\x01\xffbinary"
        await ws.send("")
        assert await ws.recv() == ""


def test_text_and_binary_messages_are_echoed(ws_server):
    asyncio.run(echo_round_trips(ws_url(ws_server)))


def test_a_one_mebibyte_message_is_echoed_whole(ws_server):
    payload = os.urandom(1 << 20)

    async def run() -> None:
        async with connect(ws_url(ws_server), max_size=None) as ws:
            await ws.send(payload)
            assert await ws.recv() == payload
            text = "é" * (1 << 19)  # 1 MiB of two-byte characters
            await ws.send(text)
            assert await ws.recv() == text

    asyncio.run(run())


def test_fragmented_client_messages_arrive_joined(ws_server):
    async def run() -> None:
        async with connect(ws_url(ws_server)) as ws:
            await ws.send(["frag", "mented ", "text ✓"])
            assert await ws.recv() == "fragmented text ✓"
            await ws.send([b"a" * 5000, b"b" * 70000, b"c"])
            assert await ws.recv() == b"a" * 5000 + b"b" * 70000 + b"c"

    asyncio.run(run())


def test_ping_is_answered_with_its_payload(ws_server):
    async def run() -> None:
        async with connect(ws_url(ws_server)) as ws:
            latency = await asyncio.wait_for(await ws.ping(b"are you there"), CLOSE_WAIT)
            assert latency >= 0

    asyncio.run(run())
    # Raw: the pong carries the ping's payload.
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frame(OP_PING, b"payload-123"))
        pong = ws.read_frame()
        assert (pong.opcode, pong.payload, pong.fin) == (OP_PONG, b"payload-123", True)


def test_client_close_code_and_reason_reach_the_handler(ws_server):
    async def run() -> websockets.ClientConnection:
        async with connect(ws_url(ws_server)) as ws:
            await ws.send("before close")
            assert await ws.recv() == "before close"
            await ws.close(4000, "client done")
            return ws

    ws = asyncio.run(run())
    assert ws.close_code == 4000  # the server echoes the code (RFC 6455 5.5.1)
    wait_for_log(ws_server, r'closed: 4000 "client done"')


def test_server_close_code_and_reason_reach_the_client(ws_server):
    async def run() -> None:
        async with connect(ws_url(ws_server)) as ws:
            await ws.send("close 4001 server says bye")
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), CLOSE_WAIT)
            assert ws.close_code == 4001
            assert ws.close_reason == "server says bye"

    asyncio.run(run())
    wait_for_log(ws_server, r'closed: 4001 "server says bye"')  # the client's reply echoed both


def test_the_chosen_subprotocol_is_in_the_101(ws_server):
    async def run() -> tuple[str | None, str | None]:
        async with connect(ws_url(ws_server), subprotocols=["chat.v2", "superchat"]) as chosen:
            await chosen.send("with protocol")
            assert await chosen.recv() == "with protocol"
            async with connect(ws_url(ws_server)) as plain:
                return chosen.subprotocol, plain.subprotocol

    assert asyncio.run(run()) == ("chat.v2", None)


def test_plain_requests_still_get_the_plain_answer(ws_server):
    with ws_server.connect() as sock:
        response = exchange(sock, b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    assert response.status == 200
    assert response.body == HELLO_BODY


def test_frames_sent_with_the_handshake_are_the_first_messages(ws_server):
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock, first_bytes=frame(OP_TEXT, b"eager") + frame(OP_BINARY, b"\x01\x02"))
        assert ws.read_frame().payload == b"eager"
        second = ws.read_frame()
        assert (second.opcode, second.payload) == (OP_BINARY, b"\x01\x02")


def test_the_peer_vanishing_without_a_close_frame_is_reported_as_1006(ws_server):
    before = closes_logged(ws_server).count((1006, ""))
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frame(OP_TEXT, b"still here"))
        assert ws.read_frame().payload == b"still here"
    deadline = time.monotonic() + CLOSE_WAIT
    while closes_logged(ws_server).count((1006, "")) == before:
        assert time.monotonic() < deadline, ws_server.stderr_text()
        time.sleep(0.02)


# ---------------------------------------------------------------------------------------------------------
# Handshakes


NO_KEY_HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize(
    ("request_bytes", "status", "header"),
    [
        pytest.param(NO_KEY_HANDSHAKE, 400, ("Connection", "close"), id="no-key-400"),
        pytest.param(handshake_request(b"c2hvcnQ="), 400, ("Connection", "close"), id="short-key-400"),
        pytest.param(
            handshake_request(new_key(), version="12"), 426, ("Sec-WebSocket-Version", "13"), id="version-12-426"
        ),
        pytest.param(
            handshake_request(new_key()).replace(b"GET", b"POST", 1), 400, ("Connection", "close"), id="post-400"
        ),
    ],
)
def test_bad_handshakes_are_refused_and_closed(ws_server, request_bytes, status, header):
    with ws_server.connect() as sock:
        sock.sendall(request_bytes)
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == status
        assert response.header(header[0]) == header[1]
        assert reader.closed_by_server()


def test_a_denied_handshake_gets_the_ordinary_response_and_a_close(start_server):
    server = start_server()  # no --ws-echo: the handler answers every request with hello
    with server.connect() as sock:
        sock.sendall(handshake_request(new_key()) + frame(OP_TEXT, b"ignored"))
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == 200
        assert response.body == HELLO_BODY
        assert response.header("Connection") == "close"
        assert reader.closed_by_server()


def test_no_ws_answers_upgrade_requests_as_plain_http(start_server):
    server = start_server("--no-ws")
    with server.connect() as sock:
        sock.sendall(handshake_request(new_key()) + b"GET /next HTTP/1.1\r\nHost: test\r\n\r\n")
        reader = HttpReader(sock)
        for _ in range(2):  # the upgrade was not taken: the next request is HTTP again
            response = reader.read_response()
            assert response.status == 200
            assert response.body == HELLO_BODY


def test_ws_echo_and_no_ws_exclude_each_other():
    result = subprocess.run([str(URING_SERVE), "--ws-echo", "--no-ws"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "--ws-echo and --no-ws exclude each other" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# Protocol violations: each fails the connection with its close code (RFC 6455 7.4.1)


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        pytest.param(frame(OP_TEXT, b"no mask", masked=False), 1002, id="unmasked-client-frame"),
        pytest.param(frame(0x3, b""), 1002, id="reserved-opcode"),
        pytest.param(frame(OP_TEXT, b"x", rsv=0x4), 1002, id="rsv-bit-without-extension"),
        pytest.param(frame(OP_PING, b"", fin=False), 1002, id="fragmented-control-frame"),
        pytest.param(frame(OP_CONTINUATION, b"orphan"), 1002, id="continuation-without-message"),
        pytest.param(frame(OP_TEXT, b"ok \xff\xfe"), 1007, id="invalid-utf8-text"),
        pytest.param(
            frame(OP_TEXT, b"\xe2\x82", fin=False) + frame(OP_CONTINUATION, b"\x28"), 1007, id="bad-utf8-across-fragments"
        ),
        pytest.param(frame(OP_CLOSE, close_payload(1005)), 1002, id="reserved-close-code"),
    ],
)
def test_protocol_violations_close_with_their_code(ws_server, frames, code):
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frames)
        close = ws.read_close()
        assert close.close_code == code
        assert ws.closed_by_server()
    wait_for_log(ws_server, rf"closed: {code} ")


@pytest.mark.parametrize(
    ("violation", "code"),
    [
        pytest.param(frame(OP_TEXT, b"x", rsv=0x2), 1002, id="rsv-bit"),  # Autobahn 3.2
        pytest.param(frame(0x5, b""), 1002, id="reserved-opcode"),  # 4.1.3
        pytest.param(frame(OP_CONTINUATION, b"late", fin=True), 1002, id="continuation-after-final"),  # 5.15
        pytest.param(frame(OP_TEXT, b"\xff"), 1007, id="invalid-utf8"),
    ],
)
def test_messages_ahead_of_a_violation_are_echoed_in_order_before_the_close(ws_server, violation, code):
    # One write: the messages and the bad frame arrive in the same read. The ping after the bad frame is never
    # answered (nothing is read past a violation); the echoes of what came before are (RFC 6455 7.1.7 lets the
    # server finish what it owes, and no frame may follow its close frame).
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frame(OP_TEXT, b"one") + frame(OP_BINARY, b"two") + violation + frame(OP_PING, b"unanswered"))
        received = [ws.read_frame() for _ in range(3)]
        assert [(f.opcode, f.payload) for f in received[:2]] == [(OP_TEXT, b"one"), (OP_BINARY, b"two")]
        assert received[2].opcode == OP_CLOSE and received[2].close_code == code
        assert ws.closed_by_server()
    wait_for_log(ws_server, rf"closed: {code} ")


def test_an_oversize_message_closes_with_1009(start_server):
    server = start_server("--ws-echo", "--ws-max-size", "1000")
    with server.connect() as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frame(OP_BINARY, b"a" * 1000))  # at the limit: fine
        assert ws.read_frame().payload == b"a" * 1000
        ws.send(frame(OP_BINARY, b"b" * 600, fin=False) + frame(OP_CONTINUATION, b"c" * 600))
        assert ws.read_close().close_code == 1009
        assert ws.closed_by_server()


# ---------------------------------------------------------------------------------------------------------
# permessage-deflate (RFC 7692)

DEFLATE_OFFER = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"


def deflate_message(payload: bytes, window_bits: int = 15) -> bytes:
    compressor = zlib.compressobj(wbits=-window_bits)
    wire = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert wire.endswith(b"\x00\x00\xff\xff")
    return wire[:-4]


def test_the_websockets_client_negotiates_permessage_deflate_and_messages_round_trip(ws_server):
    async def run() -> str:
        async with connect(ws_url(ws_server), max_size=None) as ws:  # offers permessage-deflate by default
            for message in ("short", "x" * 200_000, json_like(50_000), b"\x00\x01" * 30_000):
                await ws.send(message)
                assert await ws.recv() == message
            return ws.response.headers["Sec-WebSocket-Extensions"]

    negotiated = asyncio.run(run())
    assert negotiated.startswith("permessage-deflate") and "server_no_context_takeover" in negotiated


def json_like(size: int) -> str:
    return "".join(f'{{"id": {i}, "name": "user-{i * 7919 % 10007}"}},' for i in range(size // 30))[:size]


def test_large_echoes_are_compressed_small_ones_are_not(ws_server):
    with ws_server.connect() as sock:
        ws = RawWebSocket.open(sock, extra=DEFLATE_OFFER)
        negotiated = ws.response.header("Sec-WebSocket-Extensions")
        # The server limits the client's window when offered the parameter; a wider one would be corrupt (1007).
        window_bits = int(re.search(r"client_max_window_bits=(\d+)", negotiated).group(1))
        assert window_bits < 15
        big = json_like(10_000).encode()
        ws.send(frame(OP_TEXT, deflate_message(big, window_bits), rsv=0x4) + frame(OP_TEXT, b"tiny"))
        compressed, plain = ws.read_frame(), ws.read_frame()
        assert compressed.rsv == 0x4 and len(compressed.payload) < len(big) // 3
        assert zlib.decompressobj(wbits=-15).decompress(compressed.payload + b"\x00\x00\xff\xff") == big
        assert (plain.rsv, plain.payload) == (0, b"tiny")


def test_no_ws_per_message_deflate_declines_the_offer(start_server):
    server = start_server("--ws-echo", "--no-ws-per-message-deflate")
    with server.connect() as sock:
        ws = RawWebSocket.open(sock, extra=DEFLATE_OFFER)
        assert ws.response.header("Sec-WebSocket-Extensions") is None
        ws.send(frame(OP_TEXT, deflate_message(b"hello"), rsv=0x4))  # RSV1 means nothing now
        assert ws.read_close().close_code == 1002


def test_a_decompression_bomb_closes_with_1009_and_memory_stays_put(start_server):
    server = start_server("--ws-echo", "--ws-max-size", "1000000")
    bomb = deflate_message(b"\x00" * (200 << 20))  # 200 MiB inflated, about 200 KiB on the wire
    assert len(bomb) < 1_000_000
    with server.connect() as sock:
        before = rss_bytes(server.pid)
        ws = RawWebSocket.open(sock, extra=DEFLATE_OFFER)
        ws.send(frame(OP_BINARY, bomb, rsv=0x4))
        assert ws.read_close().close_code == 1009
        assert ws.closed_by_server()
        assert rss_bytes(server.pid) - before < 32 << 20  # the limit (1 MB) and the wire bytes, not 200 MiB


# ---------------------------------------------------------------------------------------------------------
# Keepalive


def test_a_peer_that_never_answers_pings_is_closed_with_1011(start_server):
    server = start_server("--ws-echo", "--ws-ping-interval", "0.2", "--ws-ping-timeout", "0.3")
    with server.connect() as sock:
        ws = RawWebSocket.open(sock)
        started = time.monotonic()
        ping = ws.read_frame()
        assert ping.opcode == OP_PING
        close = ws.read_close()  # we never answer
        assert close.close_code == 1011
        assert time.monotonic() - started < 3.0
        assert ws.closed_by_server()


def test_a_peer_that_answers_pings_stays_open(start_server):
    server = start_server("--ws-echo", "--ws-ping-interval", "0.2", "--ws-ping-timeout", "0.3")

    async def run() -> None:
        async with connect(ws_url(server)) as ws:  # the client answers pings by itself
            await asyncio.sleep(1.2)
            await ws.send("still open")
            assert await ws.recv() == "still open"

    asyncio.run(run())


# ---------------------------------------------------------------------------------------------------------
# Shutdown


def test_sigterm_closes_open_sessions_with_1001_and_exits(start_server):
    server = start_server("--ws-echo")

    async def run() -> list[int | None]:
        clients = [await connect(ws_url(server)) for _ in range(5)]
        for client in clients:
            await client.send("up")
            assert await client.recv() == "up"
        server.process.send_signal(signal.SIGTERM)
        codes = []
        for client in clients:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(client.recv(), CLOSE_WAIT)
            codes.append(client.close_code)
        return codes

    assert asyncio.run(run()) == [1001] * 5
    assert server.stop(timeout=CLOSE_WAIT) == 0


# ---------------------------------------------------------------------------------------------------------
# TLS


def test_websockets_over_tls(start_server, tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    certificate_file = tmp_path / "server.pem"
    key_file = tmp_path / "server-key.pem"
    certificate.cert_chain_pems[0].write_to_path(certificate_file)
    certificate.private_key_pem.write_to_path(key_file)
    server = start_server("--ws-echo", "--ssl-certificate", str(certificate_file), "--ssl-keyfile", str(key_file))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    payload = os.urandom(300_000)

    async def run() -> None:
        async with connect(f"wss://127.0.0.1:{server.port}/ws", ssl=context, max_size=None) as ws:
            await ws.send("over tls")
            assert await ws.recv() == "over tls"
            await ws.send(payload)
            assert await ws.recv() == payload
            await ws.close(1000, "done")
        assert ws.close_code == 1000

    asyncio.run(run())


def test_a_close_frame_left_unanswered_is_cut_after_the_close_timeout(ws_server):
    with ws_server.connect(timeout=15) as sock:
        ws = RawWebSocket.open(sock)
        ws.send(frame(OP_TEXT, b"close 4002 waiting for you"))
        close = ws.read_close()
        assert (close.close_code, close.payload[2:]) == (4002, b"waiting for you")
        started = time.monotonic()
        assert ws.closed_by_server(timeout=12)  # we never answer the close frame
        assert 4.0 < time.monotonic() - started < 10.0  # WebSocketConfig::close_timeout is 5 s
    wait_for_log(ws_server, r'closed: 1006 ""')


# ---------------------------------------------------------------------------------------------------------
# Load, memory and flow control


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


CONCURRENT_SESSIONS = 1_000
IDLE_SESSIONS = 1_000
IDLE_BYTES_PER_SESSION_LIMIT = 16 * 1024
RECV_RING_BUFFERS = 1024  # ServerConfig::recv_buffer_count
STALL_SECONDS = 1.0


@pytest.mark.slow
def test_a_thousand_concurrent_sessions_echo_correctly(start_server):
    server = start_server("--ws-echo", threads=2)

    async def session(index: int) -> int:
        async with connect(ws_url(server, f"/ws/{index}"), open_timeout=60) as ws:
            for round_number in range(5):
                text = f"session {index} round {round_number}"
                await ws.send(text)
                assert await ws.recv() == text
            binary = index.to_bytes(4, "big") * 2000
            await ws.send(binary)
            assert await ws.recv() == binary
        return 1

    async def run() -> int:
        return sum(await asyncio.wait_for(asyncio.gather(*(session(i) for i in range(CONCURRENT_SESSIONS))), 180))

    assert asyncio.run(run()) == CONCURRENT_SESSIONS


@pytest.mark.slow
def test_idle_sessions_cost_little_memory(start_server):
    server = start_server("--ws-echo")
    with open(f"/proc/{server.pid}/maps") as maps:
        if "libasan" in maps.read():
            pytest.skip("AddressSanitizer keeps freed memory in quarantine: RSS says nothing about idle cost")

    async def run() -> tuple[int, int]:
        # Warm up: the provided-buffer ring (1,024 buffers allocated at start-up, whose pages the kernel
        # touches as it first fills each one) is a fixed cost, so every buffer is cycled through first;
        # sessions that come and go settle the allocator.
        for _ in range(20):
            async with connect(ws_url(server)) as ws:
                await ws.send("warm")
                await ws.recv()
        async with connect(ws_url(server)) as ws:
            for _ in range(RECV_RING_BUFFERS * 2):
                await ws.send("cycle the receive ring")
                await ws.recv()
        before = rss_bytes(server.pid)
        clients = []
        try:
            for _ in range(IDLE_SESSIONS):
                ws = await connect(ws_url(server), open_timeout=30)
                await ws.send("hello")
                assert await ws.recv() == "hello"
                clients.append(ws)
            await asyncio.sleep(0.5)
            return before, rss_bytes(server.pid)
        finally:
            await asyncio.gather(*(ws.close() for ws in clients))

    before, after = asyncio.run(run())
    per_session = (after - before) / IDLE_SESSIONS
    print(f"\nserver RSS growth per idle WebSocket session: {per_session:.0f} bytes ({IDLE_SESSIONS} sessions)")
    assert per_session < IDLE_BYTES_PER_SESSION_LIMIT


def send_until_stalled(sock, message: bytes, total_messages: int) -> tuple[int, bytes]:
    """Sends `message` frames without reading until the socket has taken no byte for STALL_SECONDS (the
    server stopped reading) or all are sent; returns (whole frames sent, the unsent rest of the last one)."""
    sent = 0
    sock.setblocking(False)
    deadline = time.monotonic() + 30.0
    last_progress = time.monotonic()
    pending = b""
    try:
        while sent < total_messages and time.monotonic() < deadline:
            if not pending:
                pending = frame(OP_BINARY, message)
            try:
                written = sock.send(pending)
            except BlockingIOError:
                if time.monotonic() - last_progress > STALL_SECONDS:
                    break
                time.sleep(0.02)
                continue
            last_progress = time.monotonic()
            pending = pending[written:]
            if not pending:
                sent += 1
    finally:
        sock.setblocking(True)
        sock.settimeout(30)
    return sent, pending


def test_a_client_that_only_sends_is_paused_not_buffered(start_server):
    """The echo handler pauses a session whose echoes are not being read (MessageFlow::pause): the server
    stops reading and TCP pushes back on the sender; once the client reads, the session resumes
    (Server::resume_websocket) and every echo arrives intact."""
    server = start_server("--ws-echo")
    message = os.urandom(64 * 1024)
    total_messages = 1024  # 64 MiB
    with server.connect(timeout=30) as sock:
        ws = RawWebSocket.open(sock)
        sent, pending = send_until_stalled(sock, message, total_messages)
        # Socket buffers on both sides hold some MiB; without the pause the server would read all 64 MiB
        # (and buffer the echoes itself), so the sender would never stall.
        print(f"\nsent {sent * len(message) >> 20} MiB before the server stopped reading")
        assert sent < total_messages, "the server kept reading although nobody read its echoes"
        # Now read every echo while sending the rest.
        received = 0

        def reader() -> None:
            nonlocal received
            while received < total_messages:
                echoed = ws.read_frame()
                assert (echoed.opcode, echoed.payload) == (OP_BINARY, message)
                received += 1

        thread = threading.Thread(target=reader)
        thread.start()
        if pending:
            sock.sendall(pending)
            sent += 1
        while sent < total_messages:
            sock.sendall(frame(OP_BINARY, message))
            sent += 1
        thread.join(timeout=60)
        assert received == total_messages


def test_sigterm_with_a_flooded_session_sends_every_echo_then_1001(start_server):
    """A session paused with megabytes in both directions at SIGTERM: the 1001 close frame follows every
    echo already posted, the server reads through the client's remaining data to its close reply, and
    exits well before --graceful-timeout."""
    server = start_server("--ws-echo", "--graceful-timeout", "60")
    message = os.urandom(64 * 1024)
    with server.connect(timeout=30) as sock:
        ws = RawWebSocket.open(sock)
        sent, pending = send_until_stalled(sock, message, 1024)
        assert sent < 1024
        server.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        # The rest of the cut frame goes once the server reads again; meanwhile its echoes are read here.
        finisher = threading.Thread(target=sock.sendall, args=(pending,))
        finisher.start()
        echoes = 0
        while (received := ws.read_frame()).opcode != OP_CLOSE:
            assert received.payload == message
            echoes += 1
        assert received.close_code == 1001
        assert echoes > 0
        finisher.join(timeout=20)
        ws.send(frame(OP_CLOSE, close_payload(1001)))
        assert ws.closed_by_server(timeout=20)
    assert server.stop(timeout=20) == 0
    assert time.monotonic() - started < 20
