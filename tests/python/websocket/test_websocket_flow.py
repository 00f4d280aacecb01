"""Flow control both ways (a slow app pauses the client; a slow client makes the app's send() wait), the
WebSocket options (--ws-max-size, --no-ws), WSGI (no WebSockets) and 1,000 connections echoing at once."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from server_process import ServerProcess
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_server import open_ws, results, running_server, ws_url

MIB = 1024 * 1024
# Loopback sockets buffer a few MiB in the kernel on each side: what a paused peer lets through is the bridge's
# 1 MiB mark plus those buffers. 64 MiB sent through a bridge that never paused would all be taken at once.
MESSAGES = 64
LET_THROUGH_LIMIT = 24


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server() as running:
        yield running


def test_an_app_not_receiving_pauses_the_client_and_loses_nothing(server: ServerProcess) -> None:
    key = uuid.uuid4().hex
    sent = 0
    with open_ws(server, f"/slow-reader?id={key}", max_size=None) as ws:

        def send_all() -> None:
            nonlocal sent
            for index in range(MESSAGES):
                ws.send(index.to_bytes(8, "big") + bytes(MIB - 8))
                sent += 1
            ws.send(b"done")

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        time.sleep(1.5)  # long enough for an unpaused bridge to take all 64 MiB
        let_through = sent
        assert let_through < LET_THROUGH_LIMIT, f"{let_through} MiB accepted while the app read nothing"
        httpx.get(f"{server.url}/release", params={"id": key})
        sender.join(60)
        assert not sender.is_alive()
        report = json.loads(ws.recv(timeout=60))
    assert report == {"count": MESSAGES, "bytes": MESSAGES * MIB}
    assert "out_of_order" not in results(server, key, ready=lambda record: True)
    print(f"\nclient->app: {let_through} of {MESSAGES} 1 MiB messages sent while the app was not receiving")


def test_a_client_not_reading_makes_the_apps_send_wait(server: ServerProcess) -> None:
    key = uuid.uuid4().hex
    path = f"/fast-writer?id={key}&messages={MESSAGES}&size={MIB}"
    # max_queue=1: the client's reader thread buffers one message, not its default 16.
    with open_ws(server, path, max_size=None, max_queue=1) as ws:
        time.sleep(1.5)  # the client reads nothing yet
        sent_while_blocked = results(server, key)["sent"]
        assert sent_while_blocked < LET_THROUGH_LIMIT, f"send() returned {sent_while_blocked} times unread"
        for index in range(MESSAGES):
            message = ws.recv(timeout=30)
            assert len(message) == MIB and message[:8] == index.to_bytes(8, "big")
    assert results(server, key, ready=lambda record: record.get("sent") == MESSAGES)["sent"] == MESSAGES
    print(f"\napp->client: send() returned {sent_while_blocked} of {MESSAGES} times while the client read nothing")


def test_one_send_giving_up_leaves_the_other_senders_waiting(server: ServerProcess) -> None:
    key = uuid.uuid4().hex
    with open_ws(server, f"/cancelled-send?id={key}", max_size=None, max_queue=1) as ws:
        time.sleep(1)  # the client reads nothing yet: every sender waits, one of them gives up
        messages = 0
        while (message := ws.recv(timeout=30)) != "done":
            assert len(message) == MIB
            messages += 1
    assert results(server, key)["outcome"] == ["timed out", "a", "b"]
    assert messages >= 16


def test_a_message_over_ws_max_size_closes_with_1009() -> None:
    with running_server("ws_apps:app", "--ws-max-size", "4096") as small, open_ws(small, "/echo") as ws:
        ws.send(b"x" * 4096)
        assert ws.recv(timeout=10) == b"x" * 4096
        ws.send(b"x" * 4097)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1009


def test_no_ws_makes_upgrade_requests_plain_http() -> None:
    with running_server("ws_apps:app", "--no-ws") as plain:
        with pytest.raises(InvalidStatus) as refused:
            open_ws(plain, "/echo")
        assert refused.value.response.status_code == 200
        assert json.loads(refused.value.response.body) == {"type": "http", "path": "/echo"}


def test_the_url_path_prefix_is_the_websocket_root_path() -> None:
    with running_server("ws_apps:app", "--url-path-prefix", "/api") as mounted, open_ws(mounted, "/api/scope") as ws:
        scope = json.loads(ws.recv(timeout=10))
    assert (scope["root_path"], scope["path"], scope["raw_path"]) == ("/api", "/scope", "/api/scope")


def test_wsgi_has_no_websockets() -> None:
    # WSGI runs with the multi-threaded runtime only (the suite may run under URING_GRANIAN_RUNTIME_MODE=st).
    with running_server("wsgi_echo:application", "--interface", "wsgi", "--runtime-mode", "mt") as wsgi:
        with pytest.raises(InvalidStatus) as refused:
            open_ws(wsgi, "/anything")
        assert refused.value.response.status_code == 200
        assert refused.value.response.body == b"GET /anything websocket"


@pytest.mark.slow
def test_a_thousand_connections_echo_at_once(server: ServerProcess) -> None:
    connections, rounds = 1000, 5

    async def one(index: int, all_open: asyncio.Event, opened: list[int]) -> int:
        async with async_connect(ws_url(server, "/echo"), proxy=None, compression=None, open_timeout=60) as ws:
            opened.append(index)
            if len(opened) == connections:
                all_open.set()
            await asyncio.wait_for(all_open.wait(), 60)  # every connection is open before any echoes
            for round_ in range(rounds):
                text = f"{index}:{round_}"
                await ws.send(text)
                assert await asyncio.wait_for(ws.recv(), 30) == text
            return index

    async def main() -> list[int]:
        all_open = asyncio.Event()
        opened: list[int] = []
        return await asyncio.gather(*(one(index, all_open, opened) for index in range(connections)))

    started = time.monotonic()
    assert sorted(asyncio.run(main())) == list(range(connections))
    print(f"\n{connections} concurrent connections x {rounds} echoes in {time.monotonic() - started:.1f}s")
