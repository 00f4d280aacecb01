"""HTTPS through the Python package: what ASGI and WSGI apps see, mutual TLS, and unusable keys at startup."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from server_process import ServerProcess
from tls_pki import Pki

HERE = Path(__file__).parent
Start = Callable[..., ServerProcess]

TLS_1_2 = 0x0303
TLS_1_3 = 0x0304
TLS_1_3_SUITES = {0x1301, 0x1302, 0x1303}  # AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305
# The TLS 1.2 suite the client below insists on, by the name Python's ssl reports (the key type picks one).
TLS_1_2_SUITES = {"ECDHE-ECDSA-AES128-GCM-SHA256": 0xC02B, "ECDHE-RSA-AES128-GCM-SHA256": 0xC02F}


def get_json(url: str, context: ssl.SSLContext) -> dict[str, Any]:
    response = httpx.get(url, verify=context, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def first_certificate_block(path: Path) -> str:
    text = path.read_text()
    end = "-----END CERTIFICATE-----"
    return text[text.index("-----BEGIN CERTIFICATE-----") : text.index(end) + len(end)] + "\n"


def test_asgi_scope_over_https_has_the_scheme_and_the_tls_extension(start_server: Start, pki: Pki) -> None:
    server = start_server("tls_apps:asgi_app", *pki.server_options())
    seen = get_json(server.url + "/", pki.client_context())
    assert seen["scheme"] == "https"
    tls = seen["tls"]
    assert tls["server_cert"] == first_certificate_block(pki.certificate_file)
    assert tls["tls_version"] == TLS_1_3
    assert tls["cipher_suite"] in TLS_1_3_SUITES
    assert tls["client_cert_chain"] == []
    assert tls["client_cert_name"] is None and tls["client_cert_error"] is None


def test_each_server_in_a_process_reports_its_own_certificate(tmp_path: Path) -> None:
    # Two embedded servers with certificates of different CAs, one loop: each scope's server_cert is its own
    # server's, whichever server was made last.
    from server_process import free_port
    from tls_apps import asgi_app
    from uring_granian import Server

    pkis = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        pkis.append(Pki(tmp_path / name))

    async def main() -> list[dict[str, Any]]:
        servers = [
            Server(
                asgi_app,
                port=free_port(),
                lifespan=False,
                ssl_certificate=str(pki.certificate_file),
                ssl_keyfile=str(pki.key_file),
            )
            for pki in pkis
        ]
        serving = [asyncio.create_task(server.serve()) for server in servers]
        while any(server.bound_port is None for server in servers):
            assert not any(task.done() for task in serving), serving
            await asyncio.sleep(0.01)
        seen = []
        for server, pki in zip(servers, pkis, strict=True):
            async with httpx.AsyncClient(verify=pki.client_context(), timeout=10) as client:
                response = await client.get(f"https://127.0.0.1:{server.bound_port}/")
                assert response.status_code == 200, response.text
                seen.append(response.json()["tls"])
        for server in servers:
            await server.stop()
        await asyncio.gather(*serving)
        return seen

    seen = asyncio.run(main())
    assert [tls["server_cert"] for tls in seen] == [first_certificate_block(pki.certificate_file) for pki in pkis]
    assert seen[0]["server_cert"] != seen[1]["server_cert"]


def test_asgi_over_h2_by_alpn_and_http1_when_asked(start_server: Start, pki: Pki) -> None:
    server = start_server("tls_apps:asgi_app", *pki.server_options())
    with httpx.Client(http2=True, verify=pki.client_context(), timeout=10) as client:
        response = client.get(server.url + "/")
        assert response.http_version == "HTTP/2"
        assert response.json()["http_version"] == "2"
        assert response.json()["scheme"] == "https"
    with httpx.Client(verify=pki.client_context(), timeout=10) as client:
        assert client.get(server.url + "/").json()["http_version"] == "1.1"
    only_http1 = start_server("tls_apps:asgi_app", "--http", "1", *pki.server_options())
    with httpx.Client(http2=True, verify=pki.client_context(), timeout=10) as client:
        assert client.get(only_http1.url + "/").http_version == "HTTP/1.1"


def test_tls_1_2_version_and_cipher_suite_are_the_negotiated_ones(start_server: Start, pki: Pki) -> None:
    server = start_server("tls_apps:asgi_app", *pki.server_options())
    context = pki.client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(":".join(TLS_1_2_SUITES))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_socket:
            tls_socket.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            received = b""
            while chunk := tls_socket.recv(65536):
                received += chunk
            cipher_name = tls_socket.cipher()[0]
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    tls = json.loads(body)["tls"]
    assert tls["tls_version"] == TLS_1_2
    assert tls["cipher_suite"] == TLS_1_2_SUITES[cipher_name]


def test_tls_1_3_minimum_refuses_a_tls_1_2_client(start_server: Start, pki: Pki) -> None:
    server = start_server("tls_apps:asgi_app", *pki.server_options("--ssl-protocol-min", "tls1.3"))
    assert get_json(server.url + "/", pki.client_context())["tls"]["tls_version"] == TLS_1_3
    old_client = pki.client_context()
    old_client.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", verify=old_client, timeout=10)


def test_mutual_tls_gives_the_app_the_client_certificate(start_server: Start, pki: Pki) -> None:
    options = pki.server_options("--ssl-ca", str(pki.ca_file), "--ssl-client-verify")
    server = start_server("tls_apps:asgi_app", *options)
    tls = get_json(server.url + "/", pki.client_context(with_certificate=True))["tls"]
    assert "CN=test client" in tls["client_cert_name"]
    assert tls["client_cert_error"] is None
    assert tls["client_cert_chain"][0].strip() == pki.client.cert_chain_pems[0].bytes().decode().strip()
    # Required means required: no certificate, no request.
    with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
        get_json(server.url + "/", pki.client_context())


def test_plain_http_scope_has_no_tls_extension(start_server: Start) -> None:
    server = start_server("tls_apps:asgi_app")
    response = httpx.get(server.url.replace("https://", "http://") + "/", timeout=10)
    assert response.json() == {"scheme": "http", "tls": None, "http_version": "1.1"}


def test_wsgi_environ_over_https(start_server: Start, pki: Pki) -> None:
    server = start_server("tls_apps:wsgi_app", "--interface", "wsgi", *pki.server_options())
    assert get_json(server.url + "/", pki.client_context()) == {"url_scheme": "https", "HTTPS": "on"}


def test_encrypted_key_with_its_password_serves(start_server: Start, pki: Pki, tmp_path: Path) -> None:
    key_file = encrypted_key(pki, tmp_path, b"open sesame")
    options = ("--ssl-certificate", str(pki.certificate_file), "--ssl-keyfile", str(key_file))
    server = start_server("tls_apps:asgi_app", *options, "--ssl-keyfile-password", "open sesame")
    assert get_json(server.url + "/", pki.client_context())["scheme"] == "https"


def encrypted_key(pki: Pki, directory: Path, password: bytes) -> Path:
    key = serialization.load_pem_private_key(pki.server.private_key_pem.bytes(), password=None)
    path = directory / "encrypted-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    return path


def run_briefly(*options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "uring_granian", "--port", "0", *options, "tls_apps:asgi_app"]
    return subprocess.run(command, cwd=HERE, check=False, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("problem", ["garbage key", "missing key", "wrong password", "missing certificate"])
def test_unusable_certificate_or_key_is_one_line_and_exit_1(pki: Pki, tmp_path: Path, problem: str) -> None:
    certificate, key, extra = str(pki.certificate_file), str(pki.key_file), []
    if problem == "garbage key":
        key = str(tmp_path / "garbage.pem")
        Path(key).write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    elif problem == "missing key":
        key = str(tmp_path / "absent.pem")
    elif problem == "wrong password":
        key = str(encrypted_key(pki, tmp_path, b"right"))
        extra = ["--ssl-keyfile-password", "wrong"]
    else:
        certificate = str(tmp_path / "absent.pem")
    proc = run_briefly("--ssl-certificate", certificate, "--ssl-keyfile", key, *extra)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("uring-granian: error: ")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
