"""The seed's raw ASGI case: receive/send and sleeps wrapped in asyncio.wait_for and asyncio.timeout."""

from __future__ import annotations

import asyncio
from typing import Any

from bridge_stats import with_bridge_stats

BODY_SIZE = 4 * 1024 * 1024


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    message = await asyncio.wait_for(receive(), timeout=5)
    assert message["type"] == "http.request"
    await asyncio.wait_for(asyncio.sleep(0), timeout=5)
    async with asyncio.timeout(5):
        await asyncio.sleep(0)
    body = b"r" * BODY_SIZE  # a fresh 4 MB object per request, as a framework would build
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(BODY_SIZE).encode())]}
    await asyncio.wait_for(send(start), timeout=5)
    await asyncio.wait_for(send({"type": "http.response.body", "body": body}), timeout=5)


app = with_bridge_stats(raw_app)
