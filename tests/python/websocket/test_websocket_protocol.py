"""The ASGI websocket interface (www spec 2.4) over real sockets with the `websockets` client: scope, handshake
answers (accept, denial response, failures after the accept), messages both ways, and close codes both ways.
Handshakes the app does not accept are test_websocket_refusals.py's."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator

import pytest
from server_process import ServerProcess
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_server import open_ws, results, running_server
from ws_wire import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, RawWebSocket, frame

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server() as running:
        yield running
        assert running.stop() == 0, running.logs()


def new_key() -> str:
    return uuid.uuid4().hex


def test_scope_values(server: ServerProcess) -> None:
    with open_ws(server, "/scope?x=1&y=%20", subprotocols=["one", "two"]) as ws:
        scope = json.loads(ws.recv(timeout=10))
        # The app accepted without choosing a subprotocol: the client has none.
        assert ws.subprotocol is None
    assert scope["type"] == "websocket"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "ws"
    assert "method" not in scope
    assert scope["path"] == "/scope"
    assert scope["raw_path"] == "/scope"
    assert scope["query_string"] == "x=1&y=%20"
    assert scope["root_path"] == ""
    assert scope["subprotocols"] == ["one", "two"]
    headers = dict(scope["headers"])
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["upgrade"].lower() == "websocket"
    assert headers["sec-websocket-protocol"] == "one, two"
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)
    assert scope["server"] == ["127.0.0.1", server.port]
    assert scope["state"] == {"from_lifespan": "yes"}
    assert scope["extensions"] == {"websocket.http.response": {}}


def test_the_path_is_percent_decoded_and_raw_path_is_not(server: ServerProcess) -> None:
    with open_ws(server, "/%73cope") as ws:
        scope = json.loads(ws.recv(timeout=10))
    assert scope["path"] == "/scope"
    assert scope["raw_path"] == "/%73cope"
    assert scope["subprotocols"] == []


def test_accept_with_a_subprotocol_and_headers(server: ServerProcess) -> None:
    with open_ws(server, "/accept-headers", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.response.status_code == 101
        assert ws.response.headers["x-accepted"] == "yes"
        assert ws.response.headers["set-cookie"] == "k=v"
        assert ws.response.headers.get_all("sec-websocket-protocol") == ["chat.v2"]
        assert ws.recv(timeout=10) == "accepted"


@pytest.mark.parametrize("message", ["hello", "", "ünïcødé ✓", b"\x00\x01binary\xff", b""])
def test_text_and_bytes_echo_both_ways(server: ServerProcess, message: str | bytes) -> None:
    with open_ws(server, "/echo") as ws:
        ws.send(message)
        answer = ws.recv(timeout=10)
    assert type(answer) is type(message)
    assert answer == message


@pytest.mark.parametrize("kind", [bytes, str])
def test_one_mib_messages_both_ways(server: ServerProcess, kind: type) -> None:
    payload: bytes | str = bytes(range(256)) * (4 * 1024) if kind is bytes else "é" * (MIB // 2)
    with open_ws(server, "/echo", max_size=4 * MIB) as ws:
        for _ in range(3):
            ws.send(payload)
            assert ws.recv(timeout=30) == payload


def test_many_messages_keep_their_order(server: ServerProcess) -> None:
    with open_ws(server, "/echo") as ws:
        for index in range(500):
            ws.send(f"message {index}")
        assert [ws.recv(timeout=10) for _ in range(500)] == [f"message {index}" for index in range(500)]


def test_the_denial_response_carries_the_apps_status_headers_and_body(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_ws(server, "/deny")
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["x-denied"] == "token"
    assert response.headers["content-type"] == "text/plain"
    assert response.body == b"denied: no token"


def test_the_clients_close_code_and_reason_reach_the_app(server: ServerProcess) -> None:
    key = new_key()
    with open_ws(server, f"/echo?id={key}") as ws:
        ws.send("one")
        assert ws.recv(timeout=10) == "one"
        ws.close(code=4002, reason="client leaving")
    record = results(server, key)
    assert record == {"code": 4002, "reason": "client leaving", "received": 1}


def test_a_dropped_connection_is_a_1006_disconnect(server: ServerProcess) -> None:
    key = new_key()
    ws = open_ws(server, f"/echo?id={key}")
    ws.send("one")
    assert ws.recv(timeout=10) == "one"
    ws.socket.close()  # no close frame
    record = results(server, key)
    assert record["code"] == 1006


def test_the_apps_close_code_and_reason_reach_the_client(server: ServerProcess) -> None:
    key = new_key()
    with open_ws(server, f"/close-with-reason?id={key}") as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 4001
        assert ws.close_reason == "bye now"
    # After its close, the app's receive() reports the end of the session with the code it closed with.
    assert results(server, key) == {"after_close": "websocket.disconnect", "code": 4001}


def test_returning_from_an_open_session_closes_it_with_1000(server: ServerProcess) -> None:
    with open_ws(server, "/return-open") as ws:
        assert ws.recv(timeout=10) == "leaving"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_an_exception_after_accept_closes_with_1011_and_is_logged(server: ServerProcess) -> None:
    with open_ws(server, "/raise-after") as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1011
    server.wait_for_log("ValueError: boom after the websocket accept")


def test_send_after_the_client_left_raises_client_disconnected(server: ServerProcess) -> None:
    key = new_key()
    with open_ws(server, f"/send-after-disconnect?id={key}") as ws:
        ws.close()
    assert results(server, key) == {"raised": "ClientDisconnected", "oserror": True}


def test_protocol_violations_raise_protocol_errors_naming_them(server: ServerProcess) -> None:
    key = new_key()
    with open_ws(server, f"/protocol-errors?id={key}", subprotocols=["chat"]) as ws:
        assert ws.recv(timeout=10) == "still open"
    record = results(server, key)
    expected = {
        "send_before_accept": "websocket.send before websocket.accept",
        "unoffered_subprotocol": "subprotocol 'nope' is not one the client offered",
        "unknown_type": "unexpected ASGI message type 'websocket.nonsense'",
        "bad_accept_header": "websocket.accept: the value of header 'x-bad' contains CR, LF or NUL",
        "bytes_and_text": "exactly one of 'bytes' and 'text'",
        "neither": "exactly one of 'bytes' and 'text'",
        "text_not_str": "'text' must be a str, not bytes",
        "bytes_not_bytes": "'bytes' must be bytes, not str",
        "reserved_close_code": "1005 is not a close code an endpoint may send",
        "denial_after_accept": "websocket.http.response.start sent after the handshake was answered",
        "accept_twice": "websocket.accept sent after the handshake was answered",
    }
    assert set(record) == set(expected)
    for name, text in expected.items():
        kind, runtime, message = record[name]
        assert (kind, runtime) == ("ProtocolError", True), (name, record[name])
        assert text in message, (name, message)


def test_the_server_keeps_serving_websockets_after_errors(server: ServerProcess) -> None:
    for path in ("/raise-before", "/raise-after", "/deny"):
        try:
            with open_ws(server, path) as ws:
                ws.recv(timeout=10)
        except (InvalidStatus, ConnectionClosed):
            pass
    with open_ws(server, "/echo") as ws:
        ws.send("still here")
        assert ws.recv(timeout=10) == "still here"


@pytest.mark.parametrize(
    ("violation", "code"),
    [
        pytest.param(frame(OP_TEXT, b"x", rsv=0x2), 1002, id="rsv-bit"),
        pytest.param(frame(OP_TEXT, b"\xff"), 1007, id="invalid-utf8"),
    ],
)
def test_the_apps_answers_to_messages_ahead_of_a_violation_go_out_before_the_close(
    server: ServerProcess, violation: bytes, code: int
) -> None:
    # The engine holds its close frame until the app has taken every message before the violation and is waiting
    # in receive() again, so the echoes leave first (the frames arrive in one read).
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        ws = RawWebSocket.open(sock, path=b"/echo")
        ws.send(frame(OP_TEXT, b"one") + frame(OP_BINARY, b"two") + violation + frame(OP_PING, b"unanswered"))
        received = [ws.read_frame() for _ in range(3)]
        assert [(f.opcode, f.payload) for f in received[:2]] == [(OP_TEXT, b"one"), (OP_BINARY, b"two")]
        assert received[2].opcode == OP_CLOSE and received[2].close_code == code
        assert ws.closed_by_server()


def test_permessage_deflate_is_negotiated_and_the_app_sees_plain_messages(server: ServerProcess) -> None:
    # The websockets client offers permessage-deflate; the app echoes what it received, so a message that came
    # back equal went through inflate (to the app) and deflate (from it).
    text = "".join(f"line {i}: the same words again and again\n" for i in range(5000))
    with open_ws(server, "/echo", compression="deflate", max_size=None) as ws:
        assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
        for message in ("short", text, text.encode()):
            ws.send(message)
            assert ws.recv(timeout=10) == message


def test_no_ws_per_message_deflate_declines_compression() -> None:
    with running_server("ws_apps:app", "--no-ws-per-message-deflate") as running:
        with open_ws(running, "/echo", compression="deflate") as ws:
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
            ws.send("plain")
            assert ws.recv(timeout=10) == "plain"
        assert running.stop() == 0, running.logs()
