"""Embedded use: Server(...).serve() inside an already running loop, stop() from the same loop; afterwards every
bridge object is gone (checked in-process, where live_objects() sees the server's own counters)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
from server_process import free_port
from uring_granian import Server, _native


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    body = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"embedded:" + body["body"]})


def test_serve_and_stop_inside_a_running_loop() -> None:
    async def main() -> list[str]:
        server = Server(hello, port=free_port(), lifespan=False)
        serving = asyncio.create_task(server.serve())
        while server.bound_port is None:
            assert not serving.done(), serving
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.bound_port}") as client:
            texts = [(await client.post("/", content=f"n{i}".encode())).text for i in range(20)]
        await server.stop()
        await serving
        return texts

    texts = asyncio.run(main())
    assert texts == [f"embedded:n{i}" for i in range(20)]
    gc.collect()
    assert all(count == 0 for count in _native.live_objects().values()), _native.live_objects()
