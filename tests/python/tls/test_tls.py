"""HTTPS with uring-serve over real sockets: protocol versions, client certificates, a large file, many
connections, plaintext sent to the TLS port, and start-up errors for unusable key files."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import ssl
import subprocess

import httpx
import pytest
from engine_server import HOST, URING_SERVE, free_port, server_command

BIG_FILE_SIZE = 64 * 1024 * 1024
CONCURRENT_CONNECTIONS = 1_000
GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
PLAINTEXT_GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def client_context(pki, *, version: ssl.TLSVersion | None = None, certificate=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    if version is not None:
        context.minimum_version = version
        context.maximum_version = version
    if certificate is not None:
        context.load_cert_chain(str(certificate))
    return context


def https_get(server, context: ssl.SSLContext, path: str = "/") -> tuple[int, bytes]:
    with httpx.Client(verify=context, timeout=10) as client:
        response = client.get(f"https://localhost:{server.port}{path}")
        return response.status_code, response.content


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends before it closes (a reset counts as closed)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_hello_over_each_tls_version(start_server, pki, version):
    server = start_server(*pki.server_args())
    context = client_context(pki, version=version)
    with socket.create_connection((HOST, server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
            assert tls.selected_alpn_protocol() is None  # the client offered none
            tls.sendall(GET + GET)  # two pipelined requests on one connection
            received = b""
            while received.count(b"Hello, World!") < 2:
                chunk = tls.recv(65536)
                assert chunk, f"connection closed early: {received!r}"
                received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    status, body = https_get(server, context)
    assert (status, body) == (200, b"Hello, World!")


def test_alpn_and_minimum_protocol(start_server, pki):
    server = start_server(*pki.server_args("--ssl-protocol-min", "tls1.3"))
    context = client_context(pki)
    context.set_alpn_protocols(["h2", "http/1.1"])
    raw = socket.create_connection((HOST, server.port), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.selected_alpn_protocol() == "h2"  # --http auto: HTTP/2 first (RFC 9113 3.2)
        assert tls.version() == "TLSv1.3"
    context.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection((HOST, server.port), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.selected_alpn_protocol() == "http/1.1"
    old = client_context(pki, version=ssl.TLSVersion.TLSv1_2)
    with pytest.raises(ssl.SSLError):
        with old.wrap_socket(socket.create_connection((HOST, server.port), timeout=10), server_hostname="localhost"):
            pass


def test_curl_over_tls(start_server, pki):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    server = start_server(*pki.server_args())
    for version_flags in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
        result = subprocess.run(
            ["curl", "-sS", "--cacert", str(pki.ca_file), *version_flags, f"https://localhost:{server.port}/"],
            capture_output=True,
            timeout=20,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"Hello, World!"


def test_client_certificates_required(start_server, pki):
    server = start_server(*pki.server_args("--ssl-ca", str(pki.ca_file), "--ssl-client-verify"))
    status, body = https_get(server, client_context(pki, certificate=pki.client))
    assert (status, body) == (200, b"Hello, World!")
    for certificate in (None, pki.foreign_client):
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            https_get(server, client_context(pki, certificate=certificate))
    # A refused client did not disturb the server.
    assert https_get(server, client_context(pki, certificate=pki.client))[0] == 200


def test_client_certificates_optional(start_server, pki):
    server = start_server(*pki.server_args("--ssl-ca", str(pki.ca_file)))
    for certificate in (None, pki.client):
        assert https_get(server, client_context(pki, certificate=certificate))[0] == 200


def test_large_file_arrives_intact(start_server, pki, tmp_path):
    content = os.urandom(BIG_FILE_SIZE)
    (tmp_path / "big.bin").write_bytes(content)
    server = start_server(*pki.server_args("--root", str(tmp_path)))
    with httpx.Client(verify=client_context(pki), timeout=60) as client:
        digest = hashlib.sha256()
        size = 0
        with client.stream("GET", f"https://localhost:{server.port}/big.bin") as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                digest.update(chunk)
                size += len(chunk)
    assert size == BIG_FILE_SIZE
    assert digest.hexdigest() == hashlib.sha256(content).hexdigest()


@pytest.mark.slow
def test_a_thousand_concurrent_tls_connections(start_server, pki):
    # A thousand handshakes at once can take longer than a 10 s head timeout on a busy
    # 2-core machine; this test is about concurrency, so the timeout is not what it measures.
    server = start_server(*pki.server_args(), "--header-read-timeout", "120", threads=2)
    context = client_context(pki)

    async def one() -> bytes:
        reader, writer = await asyncio.open_connection(HOST, server.port, ssl=context, server_hostname="localhost")
        writer.write(GET)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        body = await reader.readexactly(len(b"Hello, World!"))
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass
        return head.split(b"\r\n", 1)[0] + b" " + body

    async def run() -> list[bytes]:
        return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(CONCURRENT_CONNECTIONS))), 120)

    results = asyncio.run(run())
    assert results == [b"HTTP/1.1 200 OK Hello, World!"] * CONCURRENT_CONNECTIONS


def test_plaintext_http_is_closed_without_disturbing_others(start_server, pki):
    server = start_server(*pki.server_args())
    context = client_context(pki)
    good = context.wrap_socket(socket.create_connection((HOST, server.port), timeout=10), server_hostname="localhost")
    try:
        with socket.create_connection((HOST, server.port), timeout=10) as plain:
            plain.sendall(PLAINTEXT_GET)
            assert b"Hello" not in read_until_closed(plain)  # closed (timeout would raise), never answered
        with socket.create_connection((HOST, server.port), timeout=10) as garbage:
            garbage.sendall(b"\x16\x03\x01\x00\x05hello" + os.urandom(2000))
            assert b"Hello" not in read_until_closed(garbage)
        # The good connection, opened before, still works.
        good.sendall(GET)
        data = b""
        while b"Hello, World!" not in data:
            chunk = good.recv(65536)
            assert chunk
            data += chunk
    finally:
        good.close()


@pytest.mark.parametrize(
    "problem",
    ["unreadable_key", "missing_certificate", "wrong_password", "mismatched_key"],
)
def test_unusable_key_files_are_one_line_startup_errors(pki, tmp_path, problem):
    key = tmp_path / "key.pem"
    certificate = pki.certificate_file
    extra: list[str] = []
    if problem == "unreadable_key":
        key.write_bytes(pki.key_file.read_bytes())
        key.chmod(0)
        if os.geteuid() == 0:  # root reads anything: a directory stands in for an unreadable file
            key = tmp_path / "key-directory"
            key.mkdir()
    elif problem == "missing_certificate":
        key = pki.key_file
        certificate = tmp_path / "missing.pem"
    elif problem == "wrong_password":
        key = pki.key_file
        extra = ["--ssl-keyfile-password", "secret"]  # an unencrypted key ignores it: use an encrypted one
        encrypted = tmp_path / "encrypted.pem"
        subprocess.run(
            ["openssl", "pkey", "-in", str(pki.key_file), "-out", str(encrypted), "-aes256", "-passout", "pass:right"],
            check=True,
        )
        key = encrypted
    else:
        key = tmp_path / "other-key.pem"
        key.write_bytes(pki.client.read_bytes())  # the client's key and certificate: key does not match
    command = server_command(free_port(), "--ssl-certificate", str(certificate), "--ssl-keyfile", str(key), *extra)
    result = subprocess.run(command, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.decode().splitlines() if line.startswith("uring-serve: error:")]
    assert len(error_lines) == 1, result.stderr
    line = error_lines[0]
    expected = {
        "unreadable_key": str(key),
        "missing_certificate": f"cannot read TLS certificate {certificate}",
        "wrong_password": "wrong --ssl-keyfile-password?",
        "mismatched_key": "does not match certificate",
    }[problem]
    assert expected in line, line
    assert URING_SERVE.exists()
