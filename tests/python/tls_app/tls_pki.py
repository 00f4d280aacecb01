"""Certificates for the HTTPS tests, from trustme (a module of its own: test modules import it by name, and
several test folders have a conftest)."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


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
