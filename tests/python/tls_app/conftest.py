"""HTTPS tests of the Python package: `python -m uring_granian` with the --ssl-* options, certificates from
trustme, servers started with tests/python/asgi/server_process.py (readiness by connecting, no sleeps)."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "asgi"))

from server_process import ServerProcess  # noqa: E402


class Pki:
    """A CA, the server's certificate for 127.0.0.1 and a client certificate from the CA, written once."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert("localhost", "127.0.0.1")
        self.ca_file = directory / "ca.pem"
        self.certificate_file = directory / "server.pem"
        self.key_file = directory / "server-key.pem"
        self.ca.cert_pem.write_to_path(self.ca_file)
        for index, pem in enumerate(self.server.cert_chain_pems):
            pem.write_to_path(self.certificate_file, append=index > 0)
        self.server.private_key_pem.write_to_path(self.key_file)
        self.client = self.ca.issue_cert("client@example.com", common_name="test client")
        self.client_file = directory / "client.pem"
        self.client.private_key_and_cert_chain_pem.write_to_path(self.client_file)

    def server_options(self, *extra: str) -> tuple[str, ...]:
        return ("--ssl-certificate", str(self.certificate_file), "--ssl-keyfile", str(self.key_file), *extra)

    def client_context(self, with_certificate: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        if with_certificate:
            context.load_cert_chain(self.client_file)
        return context


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
