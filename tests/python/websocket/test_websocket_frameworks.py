"""A Starlette WebSocket route served over real sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from server_process import ServerProcess
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_server import open_ws, running_server


@pytest.fixture(scope="module")
def starlette_server() -> Iterator[ServerProcess]:
    with running_server("starlette_ws_app:app") as running:
        yield running


def test_starlette_websocket_route(starlette_server: ServerProcess) -> None:
    with open_ws(starlette_server, "/rooms/blue?q=hi", subprotocols=["xml", "json"]) as ws:
        assert ws.subprotocol == "json"
        assert json.loads(ws.recv(timeout=10)) == {"room": "blue", "query": "hi"}
        ws.send("shout")
        assert ws.recv(timeout=10) == "SHOUT"
        ws.send(b"\x01\x02\x03")
        assert ws.recv(timeout=10) == b"\x03\x02\x01"
        ws.send("close")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert (ws.close_code, ws.close_reason) == (4000, "asked to")


def test_starlette_close_before_accept_is_a_403(starlette_server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_ws(starlette_server, "/refuse")
    assert refused.value.response.status_code == 403


def test_starlette_client_leaving_ends_the_endpoint(starlette_server: ServerProcess) -> None:
    for _ in range(20):
        with open_ws(starlette_server, "/rooms/red") as ws:
            ws.recv(timeout=10)
            ws.send("x")
            assert ws.recv(timeout=10) == "X"
    with open_ws(starlette_server, "/rooms/green") as ws:
        assert json.loads(ws.recv(timeout=10))["room"] == "green"
