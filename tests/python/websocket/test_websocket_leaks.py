"""Every path of a WebSocket connection releases what the bridge holds: after thousands of connections ended
every way (closed by either side, dropped, denied, failed, blocked in send() when the client left) the live-object
counters are back to zero and gc.garbage is empty. And an idle connection costs the server little memory."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from server_process import ServerProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_server import running_server, ws_url

MIB = 1024 * 1024
ROUNDS = 150
# Idle connections: what each may add to the server's RSS at most (the Task awaiting receive(), its scope, the
# bridge's object and the engine's session take a few KiB; this bound is generous on purpose).
IDLE_CONNECTIONS = 1000
IDLE_KIB_PER_CONNECTION_LIMIT = 64


def open_client(server: ServerProcess, path: str, **options: Any) -> Any:
    options.setdefault("max_size", None)
    return connect(ws_url(server, path), proxy=None, compression=None, ping_interval=None, **options)


async def echo_then_close(server: ServerProcess, index: int) -> None:
    async with open_client(server, "/echo") as ws:
        payload = bytes([index % 256]) * (64 * 1024)
        await ws.send(payload)
        assert await ws.recv() == payload
        await ws.send(f"text {index}")
        assert await ws.recv() == f"text {index}"


async def dropped(server: ServerProcess, _: int) -> None:
    ws = await open_client(server, "/echo")
    await ws.send("x")
    assert await ws.recv() == "x"
    ws.transport.abort()  # no close frame


async def refused(server: ServerProcess, index: int) -> None:
    path = ("/deny", "/close-before-accept", "/raise-before", "/return-without-answer")[index % 4]
    with contextlib.suppress(InvalidStatus):
        async with open_client(server, path):
            raise AssertionError(f"{path} was accepted")


async def closed_by_app(server: ServerProcess, index: int) -> None:
    path = ("/close-with-reason", "/raise-after", "/return-open")[index % 3]
    async with open_client(server, path) as ws:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()


async def left_while_app_sends(server: ServerProcess, index: int) -> None:
    # The app blocks in send() (the client reads nothing) when the client goes: its wait must end and free all.
    ws: ClientConnection = await open_client(server, f"/fast-writer?id=leak{index}&messages=64&size={MIB}")
    await asyncio.sleep(0.05)
    ws.transport.abort()


async def send_after_disconnect(server: ServerProcess, index: int) -> None:
    async with open_client(server, f"/send-after-disconnect?id=leak{index}"):
        pass


KINDS: list[Callable[[ServerProcess, int], Awaitable[None]]] = [
    echo_then_close,
    dropped,
    refused,
    closed_by_app,
    left_while_app_sends,
    send_after_disconnect,
]


def bridge_stats(server: ServerProcess) -> dict[str, Any]:
    return httpx.get(f"{server.url}/__bridge_stats", timeout=30).json()


def settled_stats(server: ServerProcess) -> dict[str, Any]:
    """The stats once only the stats request itself is alive (apps end when the engine reports the close)."""
    deadline = time.monotonic() + 15
    while True:
        stats = bridge_stats(server)
        live = stats["live"]
        if live["registered"] == 1 and live["websockets"] == 0 or time.monotonic() > deadline:
            return stats


@pytest.mark.slow
def test_every_ending_releases_everything() -> None:
    with running_server() as server:

        async def run(rounds: int) -> None:
            for index in range(rounds):
                await asyncio.gather(*(kind(server, index) for kind in KINDS))

        asyncio.run(run(20))  # warm-up: imports, caches, allocator pools
        before = settled_stats(server)
        started = time.monotonic()
        asyncio.run(run(ROUNDS))
        after = settled_stats(server)
        growth_kib = after["rss_kib"] - before["rss_kib"]
        print(
            f"\n{ROUNDS * len(KINDS)} WebSocket connections in {time.monotonic() - started:.1f}s;"
            f" RSS {before['rss_kib']} -> {after['rss_kib']} KiB ({growth_kib:+d})"
        )
        expected = {"servers": 1, "exchanges": 1, "registered": 1}
        assert {name: after["live"][name] for name in expected} == expected, after
        assert all(count == 0 for name, count in after["live"].items() if name not in expected), after
        assert after["garbage"] == 0
        assert growth_kib < 32 * 1024, after
        assert server.stop() == 0


@pytest.mark.slow
def test_idle_connections_cost_little_memory_and_are_released() -> None:
    with running_server() as server:

        async def main() -> tuple[int, int]:
            async def one(index: int) -> ClientConnection:
                ws = await open_client(server, "/echo", open_timeout=60)
                await ws.send(str(index))
                assert await asyncio.wait_for(ws.recv(), 60) == str(index)
                return ws

            for ws in await asyncio.gather(*(one(index) for index in range(50))):  # warm-up
                await ws.close()
            rss_before = settled_stats(server)["rss_kib"]
            clients = await asyncio.gather(*(one(index) for index in range(IDLE_CONNECTIONS)))
            await asyncio.sleep(0.5)
            stats = bridge_stats(server)
            assert stats["live"]["websockets"] == IDLE_CONNECTIONS, stats
            rss_open = stats["rss_kib"]
            await asyncio.gather(*(ws.close() for ws in clients))
            return rss_before, rss_open

        rss_before, rss_open = asyncio.run(main())
        per_connection = (rss_open - rss_before) / IDLE_CONNECTIONS
        print(
            f"\nRSS {rss_before} KiB -> {rss_open} KiB with {IDLE_CONNECTIONS} idle WebSocket connections:"
            f" {per_connection:.1f} KiB per connection"
        )
        assert per_connection < IDLE_KIB_PER_CONNECTION_LIMIT
        after = settled_stats(server)
        assert after["live"]["websockets"] == 0 and after["live"]["pending_futures"] == 0, after
        assert after["garbage"] == 0


def test_a_graceful_stop_closes_open_sessions_with_1001() -> None:
    with running_server() as server:

        async def main() -> list[int | None]:
            clients = [await open_client(server, "/echo") for _ in range(20)]
            for ws in clients:
                await ws.send("before the stop")
                assert await ws.recv() == "before the stop"
            stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
            codes = []
            for ws in clients:
                with contextlib.suppress(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 30)
                codes.append(ws.close_code)
            assert await stopping == 0
            return codes

        assert asyncio.run(main()) == [1001] * 20
        logs = server.logs()
        assert "Traceback" not in logs, logs
