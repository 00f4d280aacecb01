"""Wraps a WSGI app with /__bridge_stats: the bridge's live objects, gc.garbage and RSS, seen from inside."""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path
from typing import Any

from uring_granian import _native


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def with_bridge_stats(app: Any) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] != "/__bridge_stats":
            return app(environ, start_response)
        time.sleep(0.2)  # let the reactors hand back the last lent buffers (dropped by the next GIL holder)
        gc.collect()
        stats = {"live": _native.live_objects(), "garbage": len(gc.garbage), "rss_kib": rss_kib()}
        body = json.dumps(stats).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wrapped
