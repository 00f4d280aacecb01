from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from wsgi_server_process import WsgiServerProcess  # noqa: E402


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., WsgiServerProcess]]:
    """start_server(app="wsgi_apps:app", *options) -> a running WSGI server (markers in tmp_path/markers)."""
    servers: list[WsgiServerProcess] = []
    markers = tmp_path / "markers"
    markers.mkdir()

    def start(app: str = "wsgi_apps:app", *options: str) -> WsgiServerProcess:
        server = WsgiServerProcess(app, *options, markers=markers)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()
