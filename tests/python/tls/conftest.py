"""Fixtures for HTTPS end-to-end tests of uring-serve: certificates from trustme, servers started with the
engine tests' helpers (tests/python/engine/engine_server.py), so readiness and shutdown work the same way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from engine_server import ServerPool  # noqa: E402


class Pki:
    """A CA, the server's certificate for localhost/127.0.0.1, a client certificate from the CA and one from
    another CA; every file written once under a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca = trustme.CA()
        self.foreign_ca = trustme.CA()
        server = self.ca.issue_cert("localhost", "127.0.0.1")
        self.ca_file = directory / "ca.pem"
        self.certificate_file = directory / "server.pem"
        self.key_file = directory / "server-key.pem"
        self.ca.cert_pem.write_to_path(self.ca_file)
        server.cert_chain_pems[0].write_to_path(self.certificate_file)
        for extra in server.cert_chain_pems[1:]:
            extra.write_to_path(self.certificate_file, append=True)
        server.private_key_pem.write_to_path(self.key_file)
        self.client = self._write_client(self.ca, "client.pem", "client@example.com")
        self.foreign_client = self._write_client(self.foreign_ca, "foreign-client.pem", "intruder@example.com")

    def _write_client(self, ca: trustme.CA, name: str, identity: str) -> Path:
        path = self.directory / name
        ca.issue_cert(identity).private_key_and_cert_chain_pem.write_to_path(path)
        return path

    def server_args(self, *extra: str) -> tuple[str, ...]:
        return ("--ssl-certificate", str(self.certificate_file), "--ssl-keyfile", str(self.key_file), *extra)


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("tls-pki"))


@pytest.fixture
def start_server() -> Iterator[ServerPool]:
    pool = ServerPool()
    yield pool
    pool.stop_all()
