"""The ASGI app the conformance tests serve: one route per behaviour, each reporting what it saw as JSON."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import os
import sys
from typing import Any

from uring_granian import _native
from uring_granian.errors import ClientDisconnected

# What background observations later requests can read back (disconnects seen, errors raised by send()).
observed: dict[str, Any] = {}
request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


async def respond(send: Any, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(jsonable(payload)).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start_headers + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Any) -> tuple[bytes, list[dict[str, Any]]]:
    chunks, events = [], []
    while True:
        message = await receive()
        events.append({"type": message["type"], "size": len(message.get("body", b"")), "more": message.get("more_body")})
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks), events


async def lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            scope["state"]["started_by"] = "lifespan"
            scope["state"]["counter"] = [0]
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            print("conformance_app: lifespan shutdown", file=sys.stderr, flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    route = ROUTES.get(scope["path"])
    if route is None:
        await respond(send, 404, {"path": scope["path"]})
        return
    await route(scope, receive, send)


async def scope_route(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body, events = await read_body(receive)
    captured = {key: value for key, value in scope.items() if key != "state"}
    captured["state_keys"] = sorted(scope.get("state", {}))
    await respond(send, 200, {"scope": captured, "body_size": len(body), "events": events})


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body, events = await read_body(receive)
    headers = [(b"content-length", str(len(body)).encode()), (b"x-events", str(len(events)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    # No content-length: the engine chunks it. Mixed body types: bytes, bytearray, memoryview, a large bytes.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"one,", "more_body": True})
    await send({"type": "http.response.body", "body": bytearray(b"two,"), "more_body": True})
    await send({"type": "http.response.body", "body": memoryview(b"three,"), "more_body": True})
    await send({"type": "http.response.body", "body": b"x" * 100_000, "more_body": True})
    await send({"type": "http.response.body", "body": b",end"})


async def big(scope: dict[str, Any], receive: Any, send: Any) -> None:
    size = int(scope["query_string"] or b"4194304")
    body = b"b" * size
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(size).encode())]})
    await send({"type": "http.response.body", "body": body})


async def state(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope["state"]["counter"][0] += 1  # shallow copy: the inner list is shared between requests
    scope["state"]["per_request"] = True  # ...but keys added here must not leak into the next scope
    await respond(send, 200, {"keys": sorted(scope["state"]), "counter": scope["state"]["counter"][0]})


async def tasks(scope: dict[str, Any], receive: Any, send: Any) -> None:
    task = asyncio.current_task()
    request_var.set("set-in-request")
    waited = await asyncio.wait_for(asyncio.sleep(0.001, "wait_for-ok"), timeout=5)
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)
        timed_out = False
    except TimeoutError:
        timed_out = True
    try:
        await asyncio.wait_for(asyncio.sleep(5), timeout=0.01)
        wait_for_timed_out = False
    except TimeoutError:
        wait_for_timed_out = True
    # wait_for around the bridge's own awaitables: a ready receive() and a receive() that must wait.
    first = await asyncio.wait_for(receive(), timeout=5)
    try:
        await asyncio.wait_for(receive(), timeout=0.05)
        receive_timed_out = False
    except TimeoutError:
        receive_timed_out = True
    child = await asyncio.create_task(asyncio.sleep(0, request_var.get()))
    await respond(
        send,
        200,
        {
            "task_type": type(task).__module__ + "." + type(task).__qualname__,
            "is_task": isinstance(task, asyncio.Task),
            "wait_for": waited,
            "timeout": timed_out,
            "wait_for_timeout": wait_for_timed_out,
            "first_receive": first["type"],
            "receive_timed_out": receive_timed_out,
            "contextvar_in_child": child,
        },
    )


async def wait_disconnect(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await read_body(receive)
    message = await receive()  # blocks until the client goes away
    observed["disconnect"] = message["type"]


async def stream_until_gone(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    try:
        for _ in range(10_000):
            await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
            await asyncio.sleep(0.001)
    except ClientDisconnected as error:
        observed["send_error"] = {"type": type(error).__name__, "is_oserror": isinstance(error, OSError)}
        raise


async def sleep_forever(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"started", "more_body": True})
    await asyncio.sleep(3600)  # ignores the disconnect: only cancellation ends it


# Larger than what the loopback socket buffers absorb, so the bytes leave only as fast as the client reads.
BIG_MESSAGE = b"m" * (32 * 1024 * 1024)


async def big_messages(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """?n=N: N messages of BIG_MESSAGE with more_body, then an empty final one; records each send's return."""
    count = int(scope["query_string"].decode().partition("=")[2] or "1")
    length = str(count * len(BIG_MESSAGE)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]})
    for index in range(count):
        await send({"type": "http.response.body", "body": BIG_MESSAGE, "more_body": True})
        observed[f"big_message_{count}_{index}_sent"] = True
    await send({"type": "http.response.body"})


async def lingering_listener(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A disconnect listener still waiting when the response completes, awaited (never cancelled) after it."""
    await read_body(receive)
    listener = asyncio.ensure_future(receive())
    await asyncio.sleep(0)  # the listener is now waiting inside receive()
    await respond(send, 200, {"ok": True})
    await asyncio.sleep(0)
    observed["listener_done_at_completion"] = listener.done()
    observed["listener_message"] = (await listener)["type"]


next_request_arrived = asyncio.Event()


async def cancelled_listener(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Django's pattern: the listener still waits when the response completes and is cancelled by the app,
    here only once the connection's next request has reached the app (the race a keep-alive client makes)."""
    await read_body(receive)
    next_request_arrived.clear()
    listener = asyncio.ensure_future(receive())
    await asyncio.sleep(0)
    await respond(send, 200, {"ok": True})
    await next_request_arrived.wait()
    observed["cancelled_listener_woken_first"] = listener.done()
    listener.cancel()
    try:
        await listener
        observed["cancelled_listener_outcome"] = "message"
    except asyncio.CancelledError:
        observed["cancelled_listener_outcome"] = "cancelled"


async def next_request(scope: dict[str, Any], receive: Any, send: Any) -> None:
    next_request_arrived.set()
    await respond(send, 200, {"ok": True})


running = {"now": 0}


async def concurrency(scope: dict[str, Any], receive: Any, send: Any) -> None:
    running["now"] += 1
    observed["max_running"] = max(observed.get("max_running", 0), running["now"])
    await asyncio.sleep(0.05)
    running["now"] -= 1
    await respond(send, 200, {"ok": True})


async def observations(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await respond(send, 200, observed)


async def raise_before(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise ValueError("boom before the response started")


async def raise_after(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise ValueError("boom after the response started")


async def return_without_response(scope: dict[str, Any], receive: Any, send: Any) -> None:
    return None


async def return_mid_response(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})


async def bad_header(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"bad name", b"x")]})


async def bad_header_value(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-bad", b"a\r\nx-injected: 1")]})


async def body_before_start(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.body", "body": b"x"})


async def double_start(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def wrong_body_type(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": "text, not bytes"})


async def protocol_errors(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Calls each faulty send() itself and reports the exceptions, then answers normally."""
    seen = {}
    for name, message in {
        "body_before_start": {"type": "http.response.body", "body": b"x"},
        "unknown_type": {"type": "http.response.nonsense"},
        "not_a_dict": [("type", "http.response.start")],
        "status_type": {"type": "http.response.start", "status": "200"},
        "header_type": {"type": "http.response.start", "status": 200, "headers": [("x-str", "value")]},
    }.items():
        try:
            await send(message)
            seen[name] = None
        except Exception as error:
            seen[name] = {"type": type(error).__name__, "runtime": isinstance(error, RuntimeError), "text": str(error)}
    await respond(send, 200, seen)


async def headers_out(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = [
        (b"x-one", b"1"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"transfer-encoding", b"chunked"),
        (b"date", b"Mon, 01 Jan 1990 00:00:00 GMT"),
        (b"server", b"conformance-app"),
        (b"content-length", b"5"),
    ]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": b"hello"})


async def pathsend(scope: dict[str, Any], receive: Any, send: Any) -> None:
    target = scope["query_string"].decode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
    await send({"type": "http.response.pathsend", "path": target})


async def live(scope: dict[str, Any], receive: Any, send: Any) -> None:
    # Let released buffers reach the loop and cycles be collected before counting.
    for _ in range(20):
        await asyncio.sleep(0.01)
    gc.collect()
    await respond(send, 200, {"live": _native.live_objects(), "garbage": len(gc.garbage), "pid": os.getpid()})


ROUTES = {
    "/scope": scope_route,
    "/echo": echo,
    "/stream": stream,
    "/big": big,
    "/state": state,
    "/tasks": tasks,
    "/wait-disconnect": wait_disconnect,
    "/big-messages": big_messages,
    "/lingering-listener": lingering_listener,
    "/cancelled-listener": cancelled_listener,
    "/next-request": next_request,
    "/stream-until-gone": stream_until_gone,
    "/observed": observations,
    "/concurrency": concurrency,
    "/sleep-forever": sleep_forever,
    "/raise-before": raise_before,
    "/raise-after": raise_after,
    "/return-without-response": return_without_response,
    "/return-mid-response": return_mid_response,
    "/bad-header": bad_header,
    "/bad-header-value": bad_header_value,
    "/body-before-start": body_before_start,
    "/double-start": double_start,
    "/wrong-body-type": wrong_body_type,
    "/protocol-errors": protocol_errors,
    "/headers-out": headers_out,
    "/pathsend": pathsend,
    "/live": live,
}
