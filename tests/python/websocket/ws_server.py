"""Starting a server for the WebSocket tests, and the small clients they share."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from server_process import ServerProcess
from websockets.sync.client import ClientConnection, connect

HERE = Path(__file__).parent
# bridge_stats.py (the /__bridge_stats wrapper) is the leak tests' own.
PYTHONPATH = os.pathsep.join([str(HERE.parent / "leaks"), os.environ.get("PYTHONPATH", "")])


@contextmanager
def running_server(app: str = "ws_apps:app", *options: str) -> Iterator[ServerProcess]:
    server = ServerProcess(app, HERE, *options, env={"PYTHONPATH": PYTHONPATH}).start()
    try:
        yield server
    finally:
        server.close()


def ws_url(server: ServerProcess, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def open_ws(server: ServerProcess, path: str, **options: Any) -> ClientConnection:
    """A websockets client connection (no proxy from the environment; no compression unless asked for, so the
    tests see the messages as the app sent them)."""
    options.setdefault("open_timeout", 10)
    options.setdefault("compression", None)
    # legacy=True: a ClientConnection at once (usable with or without `with`), as websockets 17.1+ asks.
    return connect(ws_url(server, path), proxy=None, legacy=True, **options)


def results(server: ServerProcess, key: str, ready: Callable[[dict[str, Any]], bool] = bool) -> dict[str, Any]:
    """What the app recorded under `key`, once `ready(record)` holds (the app may record after the client left)."""
    deadline = time.monotonic() + 10
    while True:
        record = httpx.get(f"{server.url}/results", params={"id": key}).json()
        if ready(record) or time.monotonic() > deadline:
            return record
        time.sleep(0.02)
