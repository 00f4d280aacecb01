"""HTTP/2 on uring-serve: h2c with prior knowledge on the HTTP/1 port, h2 over TLS by ALPN, and protocol cases
along RFC 9113's sections (preface, frame size, stream states, flow control, frame types, HTTP semantics, HPACK),
driven by curl, httpx and raw frames (h2_wire)."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import signal
import ssl
import subprocess
import time

import httpx
import pytest
from h2_wire import (
    CLIENT_PREFACE,
    COMPRESSION_ERROR,
    FRAME_SIZE_ERROR,
    NO_ERROR,
    PROTOCOL_ERROR,
    H2Client,
    raw_frames,
    request_headers,
)
from hyperframe.frame import DataFrame, HeadersFrame, PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame

HELLO_BODY = b"Hello, World!"
BIG_BODY = os.urandom(3 * 1024 * 1024 + 17)  # far past the 1 MiB stream window: flow control must work
CONCURRENT_STREAMS = 150


def curl_supports_http2() -> bool:
    try:
        version = subprocess.run(["curl", "-V"], capture_output=True, text=True, timeout=10).stdout
    except FileNotFoundError:
        return False
    return "HTTP2" in version


def h2c_client(server) -> httpx.Client:
    """httpx speaking h2c with prior knowledge (http1=False)."""
    return httpx.Client(http1=False, http2=True, base_url=server.base_url, timeout=10)


@pytest.fixture
def connect_h2():
    """connect_h2(server, **options) -> H2Client on a fresh connection, closed at the end of the test."""
    clients: list[H2Client] = []

    def connect(server, **options) -> H2Client:
        clients.append(H2Client(server.connect(), **options))
        return clients[-1]

    yield connect
    for client in clients:
        client.sock.close()


@pytest.fixture(scope="module")
def files_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("h2-files")
    (root / "big.bin").write_bytes(BIG_BODY)
    (root / "index.html").write_bytes(b"<p>index</p>\n")
    return root


@pytest.fixture(scope="module")
def files_server(module_server_factory, files_root):
    return module_server_factory("--root", str(files_root))


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("h2-tls")
    certificate_file, key_file, ca_file = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(certificate_file)
    certificate.private_key_pem.write_to_path(key_file)
    ca.cert_pem.write_to_path(ca_file)
    return ["--ssl-certificate", str(certificate_file), "--ssl-keyfile", str(key_file)], ca_file


# --- clients ------------------------------------------------------------------------------------------------


def test_httpx_h2c_get_head_and_http1_on_the_same_port(hello_server):
    with h2c_client(hello_server) as client:
        response = client.get("/")
        assert response.http_version == "HTTP/2"
        assert response.status_code == 200
        assert response.content == HELLO_BODY
        assert response.headers["content-length"] == str(len(HELLO_BODY))
        assert response.headers["server"] == "uring_granian"
        assert "date" in response.headers
        head = client.head("/")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(HELLO_BODY))
    # The preface check leaves HTTP/1 alone on the same port.
    response = httpx.get(hello_server.base_url + "/", timeout=10)
    assert response.http_version == "HTTP/1.1"
    assert response.content == HELLO_BODY


def test_httpx_h2c_post_bodies_are_echoed_past_the_windows(echo_server):
    with h2c_client(echo_server) as client:
        small = client.post("/upload", content=b"hello")
        assert small.http_version == "HTTP/2"
        assert small.content == b"hello"
        big = client.post("/upload", content=BIG_BODY)
        assert big.status_code == 200
        assert hashlib.sha256(big.content).digest() == hashlib.sha256(BIG_BODY).digest()
        # A body of unknown length (no content-length field), streamed in pieces.
        streamed = client.post("/upload", content=iter([b"abc"] * 1000))
        assert streamed.content == b"abc" * 1000


@pytest.mark.skipif(not curl_supports_http2(), reason="this curl has no HTTP2 feature")
def test_curl_prior_knowledge(hello_server, echo_server):
    result = subprocess.run(
        ["curl", "-s", "-i", "--http2-prior-knowledge", hello_server.base_url + "/"],
        capture_output=True,
        timeout=20,
        check=True,
    )
    assert result.stdout.startswith(b"HTTP/2 200")
    assert result.stdout.endswith(b"\r\n\r\n" + HELLO_BODY)
    echoed = subprocess.run(
        ["curl", "-s", "--http2-prior-knowledge", "--data-binary", "@-", echo_server.base_url + "/"],
        input=BIG_BODY[:200_000],
        capture_output=True,
        timeout=20,
        check=True,
    )
    assert echoed.stdout == BIG_BODY[:200_000]


@pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load (nghttp2-client) is not installed")
def test_h2load_many_streams_on_few_connections(hello_server, tls_files, start_server):
    """h2load (nghttp2's own client) with 10 streams at once on each of 4 connections, h2c and over TLS."""
    arguments, _ = tls_files
    tls_server = start_server(*arguments)
    for url in (hello_server.base_url + "/", f"https://127.0.0.1:{tls_server.port}/"):
        result = subprocess.run(
            ["h2load", "-n", "2000", "-c", "4", "-m", "10", url], capture_output=True, text=True, timeout=60
        )
        assert "2000 succeeded, 0 failed, 0 errored" in result.stdout, result.stdout + result.stderr
        assert "status codes: 2000 2xx" in result.stdout
        if url.startswith("https"):
            assert "Application protocol: h2" in result.stdout


def test_static_files_over_h2c(files_server):
    with h2c_client(files_server) as client:
        big = client.get("/big.bin")
        assert big.status_code == 200
        assert big.headers["content-length"] == str(len(BIG_BODY))
        assert big.content == BIG_BODY
        ranged = client.get("/big.bin", headers={"range": "bytes=10-19"})
        assert ranged.status_code == 206
        assert ranged.content == BIG_BODY[10:20]
        etag = big.headers["etag"]
        assert client.get("/big.bin", headers={"if-none-match": etag}).status_code == 304
        assert client.get("/missing").status_code == 404
        assert client.get("/").content == b"<p>index</p>\n"


def test_static_route_over_h2c(start_server, files_root):
    server = start_server("--static-path-mount", str(files_root), "--static-path-route", "/assets")
    with h2c_client(server) as client:
        assert client.get("/assets/big.bin").content == BIG_BODY
        assert client.get("/other").content == HELLO_BODY


def test_many_concurrent_streams_on_one_connection(hello_server, echo_server, connect_h2):
    client = connect_h2(hello_server)
    stream_ids = [client.request("GET", f"/{i}") for i in range(CONCURRENT_STREAMS)]
    client.wait_ended(*stream_ids)
    for stream_id in stream_ids:
        assert client.streams[stream_id].status == 200
        assert bytes(client.streams[stream_id].body) == HELLO_BODY
    # Bodies on many streams at once, interleaved by the windows.
    with h2c_client(echo_server) as h2c, concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = [os.urandom(100_000 + i) for i in range(16)]
        answers = list(pool.map(lambda body: h2c.post("/", content=body).content, bodies))
        assert answers == bodies


@pytest.mark.parametrize("http", ["auto", "2"])
def test_h2_over_tls_by_alpn(start_server, tls_files, http):
    arguments, ca_file = tls_files
    server = start_server("--echo", "--http", http, *arguments)
    url = f"https://127.0.0.1:{server.port}/"
    verify = ssl.create_default_context(cafile=str(ca_file))
    with httpx.Client(http2=True, verify=verify, timeout=10) as client:
        response = client.post(url, content=BIG_BODY)
        assert response.http_version == "HTTP/2"
        assert response.content == BIG_BODY
    if http == "auto":
        # A client that offers only http/1.1 still gets it.
        with httpx.Client(verify=verify, timeout=10) as client:
            assert client.post(url, content=b"one").http_version == "HTTP/1.1"


def test_http1_only_server_offers_no_h2(start_server, tls_files):
    arguments, ca_file = tls_files
    server = start_server("--http", "1", *arguments)
    context = ssl.create_default_context(cafile=str(ca_file))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with context.wrap_socket(server.connect(), server_hostname="127.0.0.1") as tls:
        assert tls.selected_alpn_protocol() == "http/1.1"
    # And on plain TCP the preface is just a bad HTTP/1 request.
    with start_server("--http", "1").connect() as sock:
        sock.sendall(CLIENT_PREFACE)
        assert sock.recv(100).startswith(b"HTTP/1.1 4")


def test_http2_only_server_closes_http1_clients(start_server):
    server = start_server("--http", "2")
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert not received.startswith(b"HTTP/1.1")
    with h2c_client(server) as client:
        assert client.get("/").content == HELLO_BODY


def test_preface_split_across_reads(hello_server):
    """The first reads may hold less than the 4 bytes that tell HTTP/2 from a POST or PUT."""
    with hello_server.connect() as sock:
        sock.sendall(CLIENT_PREFACE[:1])
        sock.sendall(CLIENT_PREFACE[1:3])
        client = H2Client(sock, send_preface=False)
        client.conn.initiate_connection()
        client.conn.data_to_send()  # the preface itself is sent here, in pieces
        sock.sendall(CLIENT_PREFACE[3:] + SettingsFrame(0).serialize())
        assert bytes(client.get("/").body) == HELLO_BODY
    # And a POST whose first read is "P" is still HTTP/1.
    with hello_server.connect() as http1:
        http1.sendall(b"P")
        http1.sendall(b"OST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
        assert http1.recv(100).startswith(b"HTTP/1.1 200")


# --- RFC 9113 section by section ----------------------------------------------------------------------------


def test_3_4_invalid_preface_closes(hello_server):
    with hello_server.connect() as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
        while sock.recv(65536):
            pass  # whatever GOAWAY comes, the connection ends


def test_3_4_server_preface_is_settings(hello_server, connect_h2):
    client = connect_h2(hello_server)
    client.wait_for(lambda: bool(client.remote_settings))
    assert client.remote_settings[0x3] == 200  # SETTINGS_MAX_CONCURRENT_STREAMS, Granian's default
    assert client.remote_settings[0x4] == 1024 * 1024  # SETTINGS_INITIAL_WINDOW_SIZE


def test_4_2_oversized_frame_is_frame_size_error(hello_server, connect_h2):
    client = connect_h2(hello_server)
    stream_id = client.request("POST", "/", extra=[("content-length", "20000")], open_body=True)
    frame = DataFrame(stream_id, data=b"x" * 20000)  # SETTINGS_MAX_FRAME_SIZE is 16384
    client.send_frame(frame)
    client.wait_closed()
    assert client.terminated is not None
    assert client.terminated.error_code == FRAME_SIZE_ERROR


def test_5_1_data_on_an_idle_stream_is_a_protocol_error(hello_server, connect_h2):
    client = connect_h2(hello_server)
    client.send_frame(DataFrame(1, data=b"x", flags=["END_STREAM"]))
    client.wait_closed()
    assert client.terminated is not None
    assert client.terminated.error_code == PROTOCOL_ERROR


def test_5_1_client_reset_stream_leaves_the_connection_usable(echo_server, connect_h2):
    client = connect_h2(echo_server)
    stream_id = client.request("POST", "/", extra=[("content-length", "10")], open_body=True)
    client.conn.reset_stream(stream_id)
    client.flush()
    assert bytes(client.get("/after").body) == b""  # the echo of an empty GET


def test_6_5_settings_and_6_7_ping_are_acknowledged(hello_server, connect_h2):
    client = connect_h2(hello_server)
    client.conn.ping(b"12345678")
    client.flush()
    client.wait_for(lambda: any(type(e).__name__ == "PingAckReceived" for e in client.events))
    ack = next(e for e in client.events if type(e).__name__ == "PingAckReceived")
    assert ack.ping_data == b"12345678"
    client.wait_for(lambda: any(type(e).__name__ == "SettingsAcknowledged" for e in client.events))


def test_6_9_window_update_of_zero_is_a_protocol_error(hello_server, connect_h2):
    client = connect_h2(hello_server)
    client.send_frame(WindowUpdateFrame(0, window_increment=0))
    client.wait_closed()
    assert client.terminated is not None
    assert client.terminated.error_code == PROTOCOL_ERROR


def read_for(sock, seconds: float) -> bytes:
    """Everything the server sends within `seconds` (it is expected to go quiet)."""
    received = b""
    sock.settimeout(seconds)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    return received


def data_bytes(received: bytes, stream_id: int) -> int:
    return sum(len(payload) for kind, _, sid, payload in raw_frames(received) if kind == 0x0 and sid == stream_id)


def test_6_9_flow_control_server_waits_for_our_window(start_server, connect_h2):
    """The server sends no more than our window allows, and goes on when we open it."""
    server = start_server("--body-size", str(200_000))
    client = connect_h2(server)
    stream_id = client.conn.get_next_available_stream_id()
    # Raw, never acknowledging data: the server must stop at the initial 65535-byte windows.
    client.send_frame(
        HeadersFrame(stream_id, data=client.header_block(request_headers()), flags=["END_HEADERS", "END_STREAM"])
    )
    assert data_bytes(read_for(client.sock, 1.0), stream_id) == 65535
    client.send_frame(WindowUpdateFrame(0, window_increment=200_000))
    client.send_frame(WindowUpdateFrame(stream_id, window_increment=200_000))
    assert data_bytes(read_for(client.sock, 1.0), stream_id) == 200_000 - 65535


def test_6_9_reset_while_a_lent_body_waits_for_its_window(start_server, connect_h2):
    """A large body leaves in DATA frames that point into it; a reset while its rest waits for our window frees it
    without harm to the frames already queued, and the connection serves on (checked under ASan too)."""
    server = start_server("--body-size", str(200_000))
    client = connect_h2(server)
    stream_id = client.conn.get_next_available_stream_id()
    client.send_frame(
        HeadersFrame(stream_id, data=client.header_block(request_headers()), flags=["END_HEADERS", "END_STREAM"])
    )
    received = read_for(client.sock, 1.0)
    assert data_bytes(received, stream_id) == 65535
    assert b"x" * 16384 in received  # the lent bytes are the body's own
    client.send_frame(RstStreamFrame(stream_id, error_code=NO_ERROR))
    client.send_frame(WindowUpdateFrame(0, window_increment=1_000_000))
    next_id = stream_id + 2
    client.send_frame(
        HeadersFrame(next_id, data=client.header_block(request_headers()), flags=["END_HEADERS", "END_STREAM"])
    )
    client.send_frame(WindowUpdateFrame(next_id, window_increment=200_000))
    received = read_for(client.sock, 1.0)
    assert data_bytes(received, stream_id) == 0
    assert data_bytes(received, next_id) == 200_000


SMALL_WINDOWS = ("--http2-initial-stream-window-size", "65535", "--http2-initial-connection-window-size", "65535")
INITIAL_WINDOW_SIZE = 0x4


def upload_one_window(server, connect_h2) -> tuple[H2Client, int, bytes]:
    """Starts an echoed upload: one small DATA frame (a server sampling bandwidth answers it with a PING), then,
    before reading anything, the rest of the 65535-byte window, so the PING's ACK follows a whole window."""
    client = connect_h2(server)
    client.wait_for(lambda: INITIAL_WINDOW_SIZE in client.remote_settings or bool(client.events))
    stream_id = client.request("POST", "/", open_body=True)
    first, rest = b"a" * 1000, b"b" * 64000
    client.conn.send_data(stream_id, first)
    client.flush()
    time.sleep(0.2)  # the server's PING is on its way; it is read (and acknowledged) only after the rest
    for offset in range(0, len(rest), 16000):  # within the 16 KiB frame size
        client.conn.send_data(stream_id, rest[offset : offset + 16000])
    client.flush()
    return client, stream_id, first + rest


def test_6_9_adaptive_window_grows_after_a_round_trip_that_fills_it(start_server, connect_h2):
    server = start_server("--echo", "--http2-adaptive-window", *SMALL_WINDOWS)
    client, stream_id, sent = upload_one_window(server, connect_h2)
    client.wait_for(lambda: client.remote_settings.get(INITIAL_WINDOW_SIZE, 65535) > 65535)
    assert any(type(event).__name__ == "PingReceived" for event in client.events)
    # One round trip carried 64000 bytes: the windows become twice that.
    assert client.remote_settings[INITIAL_WINDOW_SIZE] == 128000
    client.wait_for(lambda: client.conn.outbound_flow_control_window > 65535)
    more = b"c" * 100_000
    client.send_body(stream_id, more)
    client.wait_ended(stream_id)
    assert bytes(client.streams[stream_id].body) == sent + more


def test_6_9_windows_are_fixed_by_default(start_server, connect_h2):
    server = start_server("--echo", *SMALL_WINDOWS)
    client, stream_id, sent = upload_one_window(server, connect_h2)
    client.conn.end_stream(stream_id)
    client.flush()
    client.wait_ended(stream_id)
    assert bytes(client.streams[stream_id].body) == sent
    assert not any(type(event).__name__ == "PingReceived" for event in client.events)
    assert client.remote_settings.get(INITIAL_WINDOW_SIZE, 65535) == 65535


def test_8_missing_path_resets_the_stream(hello_server, connect_h2):
    client = connect_h2(hello_server, validate=False)
    stream_id = client.request_with([(":method", "GET"), (":scheme", "http"), (":authority", "test")])
    client.wait_ended(stream_id)
    assert client.streams[stream_id].reset == PROTOCOL_ERROR
    assert bytes(client.get("/").body) == HELLO_BODY  # the connection lives on


@pytest.mark.parametrize(
    "field",
    [("connection", "keep-alive"), ("transfer-encoding", "chunked"), ("Uppercase", "x"), ("te", "gzip")],
)
def test_8_2_forbidden_fields_reset_the_stream(hello_server, field, connect_h2):
    client = connect_h2(hello_server, validate=False)
    stream_id = client.request_with([*request_headers(), field])
    client.wait_ended(stream_id)
    assert client.streams[stream_id].reset == PROTOCOL_ERROR


def test_8_content_length_mismatch_resets_the_stream(echo_server, connect_h2):
    client = connect_h2(echo_server)
    stream_id = client.request("POST", "/", extra=[("content-length", "10")], open_body=True)
    client.conn.send_data(stream_id, b"12345", end_stream=True)
    client.flush()
    client.wait_ended(stream_id)
    assert client.streams[stream_id].reset == PROTOCOL_ERROR


def test_8_3_request_without_authority_or_host_is_refused(echo_server, connect_h2):
    client = connect_h2(echo_server, validate=False)
    stream_id = client.request_with([(":method", "GET"), (":scheme", "http"), (":path", "/")])
    client.wait_ended(stream_id)
    assert client.streams[stream_id].reset == PROTOCOL_ERROR


def test_limits_apply_per_stream(start_server, connect_h2):
    server = start_server("--echo", "--max-header-size", "1024", "--max-body-size", "1000")
    client = connect_h2(server)
    too_many_bytes = client.request("GET", "/", extra=[("x-big", "y" * 2000)])
    declared_too_big = client.request("POST", "/", extra=[("content-length", "5000")], open_body=True)
    client.wait_ended(too_many_bytes, declared_too_big)
    assert client.streams[too_many_bytes].status == 431
    assert client.streams[declared_too_big].status == 413
    streamed_too_big = client.request("POST", "/", open_body=True)
    client.conn.send_data(streamed_too_big, b"z" * 1500, end_stream=True)
    client.flush()
    client.wait_ended(streamed_too_big)
    assert client.streams[streamed_too_big].status == 413
    assert bytes(client.get("/").body) == b""  # the connection is still good


def test_hpack_garbage_is_a_compression_error(hello_server, connect_h2):
    client = connect_h2(hello_server, validate=False)
    # 0xff... is an indexed field with an index far past any table: undecodable (RFC 7541 2.3.3).
    client.send_frame(HeadersFrame(1, data=b"\xff\xff\xff\xff\x0f", flags=["END_HEADERS", "END_STREAM"]))
    client.wait_closed()
    assert client.terminated is not None
    assert client.terminated.error_code == COMPRESSION_ERROR


def test_unknown_frame_types_are_ignored(hello_server, connect_h2):
    client = connect_h2(hello_server)
    client.send_raw(b"\x00\x00\x03\xfa\x00\x00\x00\x00\x00abc")  # type 0xfa, RFC 9113 5.5
    client.send_frame(PingFrame(0, opaque_data=b"abcdefgh"))
    assert bytes(client.get("/").body) == HELLO_BODY


# --- connection lifetime ------------------------------------------------------------------------------------


def test_idle_connection_gets_goaway_and_close(start_server, connect_h2):
    server = start_server("--keep-alive-timeout", "1")
    client = connect_h2(server)
    assert bytes(client.get("/").body) == HELLO_BODY
    client.wait_closed(timeout=10)
    assert client.terminated is not None
    assert client.terminated.error_code == NO_ERROR


def test_graceful_stop_sends_goaway(start_server, connect_h2):
    server = start_server()
    client = connect_h2(server)
    assert bytes(client.get("/").body) == HELLO_BODY
    server.process.send_signal(signal.SIGTERM)
    client.wait_closed(timeout=15)
    assert client.terminated is not None
    assert client.terminated.error_code == NO_ERROR
    assert server.stop() == 0
