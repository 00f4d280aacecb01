"""A raw ASGI app for the WebSocket tests: one behaviour per path, and what the app saw kept for the tests.

WebSocket routes record what they observed under the `id` query parameter; `GET /results?id=...` returns it as
JSON (the test process cannot see inside the server otherwise). `GET /release?id=...` lets a waiting route go on.
`/__bridge_stats` (tests/python/leaks/bridge_stats.py, on PYTHONPATH) reports the bridge's live objects.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs

from bridge_stats import with_bridge_stats
from uring_granian.errors import ClientDisconnected

Scope = dict[str, Any]

results: dict[str, dict[str, Any]] = defaultdict(dict)
releases: dict[str, asyncio.Event] = defaultdict(asyncio.Event)


def query(scope: Scope) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(scope["query_string"].decode()).items()}


def plain(value: Any) -> Any:
    """A scope value as JSON can carry it (bytes as latin-1 text, tuples as lists)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


async def accept_after_connect(receive: Any, send: Any, **accept: Any) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        raise RuntimeError(f"first event was {message!r}")
    await send({"type": "websocket.accept", **accept})


async def echo(scope: Scope, receive: Any, send: Any, record: dict[str, Any]) -> None:
    """Echoes every message back as it came (text as text, bytes as bytes) until the client leaves."""
    offered = scope["subprotocols"]
    await accept_after_connect(receive, send, subprotocol=offered[0] if offered else None)
    received = 0
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            record.update(code=message["code"], reason=message.get("reason"), received=received)
            return
        received += 1
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def send_after_disconnect(receive: Any, send: Any, record: dict[str, Any]) -> None:
    await accept_after_connect(receive, send)
    while (await receive())["type"] != "websocket.disconnect":
        pass
    try:
        await send({"type": "websocket.send", "text": "too late"})
    except ClientDisconnected as error:
        record.update(raised=type(error).__name__, oserror=isinstance(error, OSError))
    else:
        record.update(raised=None)


async def slow_reader(receive: Any, send: Any, key: str, record: dict[str, Any]) -> None:
    """Reads nothing until released, then counts every message and reports count and bytes."""
    await accept_after_connect(receive, send)
    await releases[key].wait()
    count = size = 0
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        payload = message.get("bytes") or b""
        if payload == b"done":
            await send({"type": "websocket.send", "text": json.dumps({"count": count, "bytes": size})})
            continue
        if payload[:8] != count.to_bytes(8, "big"):
            record.update(out_of_order=count)
        count += 1
        size += len(payload)


async def fast_writer(receive: Any, send: Any, record: dict[str, Any], messages: int, size: int) -> None:
    """Sends `messages` messages of `size` bytes as fast as send() lets it; records how many send() returned."""
    await accept_after_connect(receive, send)
    record["sent"] = 0
    for index in range(messages):
        await send({"type": "websocket.send", "bytes": index.to_bytes(8, "big") + bytes(size - 8)})
        record["sent"] = index + 1
    await receive()  # the client's close


async def cancelled_send(receive: Any, send: Any, record: dict[str, Any]) -> None:
    """Three tasks send 1 MiB messages to a client not reading yet; one gives up on its send() after 0.3 s. The
    other two must go on undisturbed."""
    await accept_after_connect(receive, send)
    chunk = bytes(1024 * 1024)

    async def patient(name: str) -> str:
        for _ in range(8):
            await send({"type": "websocket.send", "bytes": chunk})
        return name

    async def impatient() -> str:
        try:
            async with asyncio.timeout(0.3):
                while True:
                    await send({"type": "websocket.send", "bytes": chunk})
        except TimeoutError:
            return "timed out"

    record.update(outcome=await asyncio.gather(impatient(), patient("a"), patient("b")))
    await send({"type": "websocket.send", "text": "done"})
    await receive()


BEFORE_ACCEPT = {
    "send_before_accept": {"type": "websocket.send", "text": "x"},
    "unoffered_subprotocol": {"type": "websocket.accept", "subprotocol": "nope"},
    "unknown_type": {"type": "websocket.nonsense"},
    "bad_accept_header": {"type": "websocket.accept", "headers": [(b"x-bad", b"a\r\nb")]},
}
AFTER_ACCEPT = {
    "bytes_and_text": {"type": "websocket.send", "bytes": b"x", "text": "x"},
    "neither": {"type": "websocket.send"},
    "text_not_str": {"type": "websocket.send", "text": b"x"},
    "bytes_not_bytes": {"type": "websocket.send", "bytes": "x"},
    "reserved_close_code": {"type": "websocket.close", "code": 1005},
    "denial_after_accept": {"type": "websocket.http.response.start", "status": 403},
    "accept_twice": {"type": "websocket.accept"},
}


async def protocol_errors(receive: Any, send: Any, record: dict[str, Any]) -> None:
    """Breaks the protocol in every way listed, keeping what each send() raised; the session still works."""

    async def attempt(name: str, message: dict[str, Any]) -> None:
        try:
            await send(message)
        except Exception as error:  # noqa: BLE001 -- what send() raises is what the test checks
            record[name] = [type(error).__name__, isinstance(error, RuntimeError), str(error)]
        else:
            record[name] = None

    await receive()
    for name, message in BEFORE_ACCEPT.items():
        await attempt(name, message)
    await send({"type": "websocket.accept"})
    for name, message in AFTER_ACCEPT.items():
        await attempt(name, message)
    await send({"type": "websocket.send", "text": "still open"})
    await send({"type": "websocket.close"})


async def websocket_app(scope: Scope, receive: Any, send: Any) -> None:
    path = scope["path"]
    params = query(scope)
    record = results[params.get("id", "")]
    if path == "/echo":
        await echo(scope, receive, send, record)
    elif path == "/scope":
        await accept_after_connect(receive, send)
        await send({"type": "websocket.send", "text": json.dumps(plain(scope))})
        await send({"type": "websocket.close", "code": 1000})
    elif path == "/accept-headers":
        await accept_after_connect(
            receive, send, subprotocol="chat.v2", headers=[(b"x-accepted", b"yes"), (b"set-cookie", b"k=v")]
        )
        await send({"type": "websocket.send", "text": "accepted"})
        await receive()
    elif path == "/close-before-accept":
        await receive()
        await send({"type": "websocket.close"})
    elif path == "/deny":
        await receive()
        start = {"type": "websocket.http.response.start", "status": 401}
        start["headers"] = [(b"content-type", b"text/plain"), (b"x-denied", b"token")]
        await send(start)
        await send({"type": "websocket.http.response.body", "body": b"denied: ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"no token"})
    elif path == "/deny-start-only":
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401})
    elif path == "/close-with-reason":
        await accept_after_connect(receive, send)
        await send({"type": "websocket.close", "code": 4001, "reason": "bye now"})
        message = await receive()
        record.update(after_close=message["type"], code=message.get("code"))
    elif path == "/raise-before":
        raise ValueError("boom before the websocket accept")
    elif path == "/raise-after":
        await accept_after_connect(receive, send)
        raise ValueError("boom after the websocket accept")
    elif path == "/return-open":
        await accept_after_connect(receive, send)
        await send({"type": "websocket.send", "text": "leaving"})
    elif path == "/return-without-answer":
        await receive()
    elif path == "/send-after-disconnect":
        await send_after_disconnect(receive, send, record)
    elif path == "/protocol-errors":
        await protocol_errors(receive, send, record)
    elif path == "/cancelled-send":
        await cancelled_send(receive, send, record)
    elif path == "/slow-reader":
        await slow_reader(receive, send, params["id"], record)
    elif path == "/fast-writer":
        await fast_writer(receive, send, record, int(params["messages"]), int(params["size"]))
    else:
        await receive()
        await send({"type": "websocket.close", "code": 1008})


async def http_app(scope: Scope, receive: Any, send: Any) -> None:
    params = query(scope)
    if scope["path"] == "/release":
        releases[params["id"]].set()
        body = b"{}"
    elif scope["path"] == "/results":
        body = json.dumps(results.get(params["id"], {})).encode()
    else:
        body = json.dumps({"type": scope["type"], "path": scope["path"]}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def lifespan(scope: Scope, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            scope["state"]["from_lifespan"] = "yes"  # copied into every scope's "state"
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def routes(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await websocket_app(scope, receive, send)
    elif scope["type"] == "http":
        await http_app(scope, receive, send)
    else:
        await lifespan(scope, receive, send)


app = with_bridge_stats(routes)
