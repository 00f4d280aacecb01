from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_process import ServerProcess

HERE = Path(__file__).parent


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """start_server(app="conformance_app:app", *options, uds=None) -> a running ServerProcess, stopped afterwards."""
    servers: list[ServerProcess] = []

    def start(app: str = "conformance_app:app", *options: str, uds: str | None = None) -> ServerProcess:
        server = ServerProcess(app, HERE, *options, uds=uds)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def conformance_server() -> Iterator[ServerProcess]:
    """One server for the read-only conformance checks of a module (stopped gracefully at the end)."""
    server = ServerProcess("conformance_app:app", HERE).start()
    yield server
    status = server.stop()
    logs = server.logs()
    server.close()
    assert status == 0, logs
