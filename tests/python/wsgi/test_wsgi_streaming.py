"""64 MiB request and response bodies stream through with bounded server memory, and a slow client holds the
producing app back (backpressure) instead of letting the server queue the whole response."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from wsgi_server_process import WsgiServerProcess

MIB = 1024 * 1024
BODY_SIZE = 64 * MIB
# Half the body: a server that buffered a whole 64 MiB body (in either direction) grows by at least 64 MiB and
# fails; flow control keeps about 1 MiB per direction in the bridge plus kernel socket buffers (a few MiB on
# loopback), so the allowance leaves room for allocator slack without hiding a full buffer.
RSS_GROWTH_LIMIT_KIB = 32 * 1024


class PeakRss:
    """Samples the server's VmRSS every 10 ms in a thread while the block runs."""

    def __init__(self, server: WsgiServerProcess) -> None:
        self.server = server
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.server.rss_kib())
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, self.server.rss_kib())


def upload_chunks(total: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    block = bytes(range(256)) * (chunk // 256)
    for _ in range(total // chunk):
        yield block


def warmed_server(start_server: Callable[..., WsgiServerProcess]) -> WsgiServerProcess:
    server = start_server()
    with httpx.Client() as client:  # first requests: threads, arenas and buffers allocated before the baseline
        for _ in range(3):
            # Under the 1 MiB body high-water mark: warming up never pauses a body (see the upload test).
            client.post(server.url + "/sink", content=upload_chunks(MIB // 2))
            client.get(server.url + f"/download?size={4 * MIB}")
    return server


@pytest.mark.slow
def test_streaming_upload_of_64_mib_keeps_rss_bounded(start_server: Callable[..., WsgiServerProcess]) -> None:
    server = warmed_server(start_server)
    baseline = server.rss_kib()
    expected = hashlib.sha256()
    for chunk in upload_chunks(BODY_SIZE):
        expected.update(chunk)
    with PeakRss(server) as rss:
        # 64 MiB takes well under a second here; a timeout means a paused body never resumed (the engine
        # once lost a recv when resume_body() raced the cancel of a paused read: ENGINE_REQUESTS.md #1).
        response = httpx.post(server.url + "/sink", content=upload_chunks(BODY_SIZE), timeout=20)
    result = response.json()
    assert result["size"] == BODY_SIZE
    assert result["sha256"] == expected.hexdigest()
    assert rss.peak_kib - baseline < RSS_GROWTH_LIMIT_KIB, (baseline, rss.peak_kib)


@pytest.mark.slow
def test_streaming_download_of_64_mib_keeps_rss_bounded(start_server: Callable[..., WsgiServerProcess]) -> None:
    server = warmed_server(start_server)
    baseline = server.rss_kib()
    received = 0
    url = server.url + f"/download?size={BODY_SIZE}"
    with PeakRss(server) as rss, httpx.stream("GET", url, timeout=60) as response:
        assert response.headers["content-length"] == str(BODY_SIZE)
        for chunk in response.iter_raw():
            received += len(chunk)
    assert received == BODY_SIZE
    assert rss.peak_kib - baseline < RSS_GROWTH_LIMIT_KIB, (baseline, rss.peak_kib)


def produced(server: WsgiServerProcess) -> int:
    return int(json.loads(httpx.get(server.url + "/progress").content)["produced"])


@pytest.mark.slow
def test_slow_client_blocks_the_producer(start_server: Callable[..., WsgiServerProcess]) -> None:
    server = start_server()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect: a small window
    sock.connect(("127.0.0.1", server.port))
    sock.settimeout(30)
    try:
        sock.sendall(f"GET /download?size={BODY_SIZE} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        received = len(sock.recv(65536))
        time.sleep(1.0)  # the client reads nothing: the app must stall on backpressure
        stalled_at = produced(server)
        time.sleep(0.5)
        assert produced(server) == stalled_at  # still blocked, not producing into memory
        # 1 MiB high-water mark, one chunk, kernel buffers on both sides; far below the 64 MiB body.
        assert stalled_at < 16 * MIB, stalled_at
        while received < BODY_SIZE:  # head included, so this reads to (about) the end
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
            if produced(server) == BODY_SIZE:
                break
        assert produced(server) == BODY_SIZE  # reading resumed the producer
    finally:
        sock.close()


@pytest.mark.slow
def test_disconnect_during_upload_wakes_the_reader(start_server: Callable[..., WsgiServerProcess]) -> None:
    server = start_server()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 100_000)
        time.sleep(0.3)
    # The thread blocked in wsgi.input.read() got ClientDisconnected and is free again.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stats: Any = httpx.get(server.url + "/__stats").json()
        if stats["live"]["wsgi_channels"] == 1:  # only the stats request itself
            break
    assert stats["live"]["wsgi_channels"] == 1, stats
    assert "Exception in WSGI application" not in server.logs()  # a client leaving is no app error
