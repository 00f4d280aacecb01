"""HTTPS tests of the Python package: `python -m uring_granian` with the --ssl-* options, certificates from
trustme, servers started with tests/python/asgi/server_process.py (readiness by connecting, no sleeps)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "asgi"))

from server_process import ServerProcess  # noqa: E402
from tls_pki import Pki  # noqa: E402


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("tls-app-pki"))


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """start_server(app, *options) -> a running ServerProcess (https URL), killed afterwards."""
    servers: list[ServerProcess] = []

    def start(app: str, *options: str) -> ServerProcess:
        server = ServerProcess(app, HERE, *options)
        server.url = server.url.replace("http://", "https://")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()
