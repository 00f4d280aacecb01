"""Wraps an ASGI app with /__bridge_stats: the bridge's live objects, gc.garbage and RSS, seen from inside."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path
from typing import Any

from uring_granian import _native


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def with_bridge_stats(app: Any) -> Any:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in ("/__bridge_stats", "/__rss"):
            await app(scope, receive, send)
            return
        if scope["path"] == "/__rss":  # RSS as it is under load: no waiting, no collection
            stats: dict[str, Any] = {"rss_kib": rss_kib()}
        else:
            # Let the reactors hand back the last lent buffers, and collect what only the collector can free.
            for _ in range(20):
                await asyncio.sleep(0.01)
            gc.collect()
            stats = {"live": _native.live_objects(), "garbage": len(gc.garbage), "rss_kib": rss_kib()}
        body = json.dumps(stats).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
