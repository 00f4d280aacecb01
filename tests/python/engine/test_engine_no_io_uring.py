"""uring-serve where io_uring is refused as Docker 25+'s default seccomp profile refuses it (issue 13).

Every server here runs under build/no-io-uring (tests/tools/no_io_uring.c): io_uring_setup, io_uring_enter and
io_uring_register fail with EPERM, every other system call works. `--io-backend auto` must then say why in one line
and serve everything on epoll: HTTP, HTTPS, WebSockets and static files with Range; `--io-backend io_uring` must
refuse to start with one error line. The servers are given `--io-backend auto` explicitly, because scripts/test also
runs this suite with URING_GRANIAN_IO_BACKEND=epoll, where no probe would run.
"""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import trustme
from engine_server import HOST, URING_SERVE, Server, free_port
from engine_wire import HttpReader, exchange
from no_io_uring import (
    assert_fallback_line,
    client_context,
    no_io_uring_prefix,
    websocket_echo_close_code,
    write_certificate,
)

HELLO_BODY = b"Hello, World!"
BACKEND_LINE = "[INFO] uring_granian: I/O backend: "
SMALL_FILE = bytes(range(256)) * 8  # 2048 bytes
BIG_FILE_SIZE = 8 * 1024 * 1024  # large enough that the epoll sendfile path must wait for a writable socket

GET_HELLO = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
PIPELINED_HELLOS = GET_HELLO * 3
GET_SMALL_RANGE = b"GET /small.bin HTTP/1.1\r\nHost: test\r\nRange: bytes=100-355\r\n\r\n"
GET_SMALL_SUFFIX = b"GET /small.bin HTTP/1.1\r\nHost: test\r\nRange: bytes=-48\r\n\r\n"

# Each system call's number is the same on every Linux architecture since 5.1 (asm-generic numbering); the
# arguments are junk on purpose: where io_uring is allowed, they fail with EINVAL or EBADF, not EPERM.
PROBE_SCRIPT = """
import ctypes, errno, json, select, socket
libc = ctypes.CDLL(None, use_errno=True)
def call(number, *args):
    ctypes.set_errno(0)
    result = libc.syscall(number, *args)
    return errno.errorcode.get(ctypes.get_errno(), "?") if result == -1 else "OK"
results = {
    "io_uring_setup": call(425, 0, None),
    "io_uring_enter": call(426, -1, 0, 0, 0, None, 0),
    "io_uring_register": call(427, -1, 0, None, 0),
}
with socket.socket() as sock, select.epoll() as poller:
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    poller.register(sock, select.EPOLLIN)
    results["socket and epoll"] = poller.poll(0) == []
with open("/proc/self/status") as status:
    results["seccomp mode"] = next(line.split()[1] for line in status if line.startswith("Seccomp:"))
print(json.dumps(results))
"""


def assert_fell_back_in_one_line(server: Server) -> None:
    lines = [line for line in server.stderr_lines if line.startswith(BACKEND_LINE)]
    assert len(lines) == 1, server.stderr_text()
    assert_fallback_line(lines[0])


@pytest.fixture(scope="module")
def wrapper() -> list[str]:
    return no_io_uring_prefix()


@pytest.fixture(scope="module")
def hello_server(module_server_factory, wrapper) -> Server:
    return module_server_factory("--io-backend", "auto", "--ws-echo", threads=2, wrapper=wrapper)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("no-io-uring-site")
    (root / "small.bin").write_bytes(SMALL_FILE)
    with open(root / "big.bin", "wb") as big:
        for _ in range(BIG_FILE_SIZE >> 20):
            big.write(os.urandom(1 << 20))
    return root


@pytest.fixture(scope="module")
def file_server(module_server_factory, wrapper, site) -> Server:
    return module_server_factory("--io-backend", "auto", "--root", str(site), wrapper=wrapper)


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(module_server_factory, wrapper, tls_ca, tmp_path_factory) -> Server:
    certificate_file, key_file = write_certificate(tls_ca, tmp_path_factory.mktemp("no-io-uring-tls"))
    return module_server_factory(
        "--io-backend", "auto", "--ws-echo", "--ssl-certificate", str(certificate_file), "--ssl-keyfile",
        str(key_file), wrapper=wrapper,
    )  # fmt: skip


@pytest.fixture
def tls_client(tls_ca) -> ssl.SSLContext:
    return client_context(tls_ca)


# ---------------------------------------------------------------------------------------------------------
# The launcher itself


def test_the_launcher_refuses_io_uring_with_eperm_and_allows_the_rest(wrapper):
    result = subprocess.run(
        [*wrapper, sys.executable, "-c", PROBE_SCRIPT], capture_output=True, text=True, timeout=30, check=True
    )
    results = json.loads(result.stdout)
    assert results == {
        "io_uring_setup": "EPERM",
        "io_uring_enter": "EPERM",
        "io_uring_register": "EPERM",
        "socket and epoll": True,
        "seccomp mode": "2",  # SECCOMP_MODE_FILTER
    }


def test_the_launcher_reports_a_missing_command(wrapper):
    result = subprocess.run([*wrapper, "/nonexistent/command"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 127
    assert result.stderr.strip() == "no-io-uring: /nonexistent/command: No such file or directory"


# ---------------------------------------------------------------------------------------------------------
# auto: one line naming the reason, then everything on epoll


def test_auto_falls_back_to_epoll_in_one_line_naming_the_seccomp_refusal(hello_server, file_server, tls_server):
    for server in (hello_server, file_server, tls_server):
        assert_fell_back_in_one_line(server)


def test_http_keep_alive_and_pipelining_on_epoll(hello_server):
    with hello_server.connect() as sock:
        for _ in range(5):
            response = exchange(sock, GET_HELLO)
            assert (response.status, response.body) == (200, HELLO_BODY)
        sock.sendall(PIPELINED_HELLOS)
        reader = HttpReader(sock)
        assert [reader.read_response().body for _ in range(3)] == [HELLO_BODY] * 3


def test_many_connections_on_two_epoll_reactors(hello_server):
    with httpx.Client(base_url=hello_server.base_url, timeout=10) as client:
        for _ in range(20):
            response = client.get("/", headers={"connection": "close"})
            assert (response.status_code, response.content) == (200, HELLO_BODY)


def test_https_on_epoll(tls_server, tls_client):
    with httpx.Client(base_url=f"https://{HOST}:{tls_server.port}", verify=tls_client, timeout=10) as client:
        for _ in range(3):  # one TLS connection, kept alive
            response = client.get("/")
            assert (response.status_code, response.content) == (200, HELLO_BODY)
            assert response.http_version == "HTTP/1.1"


def test_websocket_echo_on_epoll(hello_server):
    assert websocket_echo_close_code(f"ws://{HOST}:{hello_server.port}/ws") == 1000


def test_websocket_echo_over_tls_on_epoll(tls_server, tls_client):
    assert websocket_echo_close_code(f"wss://{HOST}:{tls_server.port}/ws", context=tls_client) == 1000


def test_static_file_whole_and_ranges_on_epoll(file_server):
    with file_server.connect() as sock:
        whole = exchange(sock, b"GET /small.bin HTTP/1.1\r\nHost: test\r\n\r\n")
        assert (whole.status, whole.body) == (200, SMALL_FILE)
        assert whole.header("Content-Length") == str(len(SMALL_FILE))
        part = exchange(sock, GET_SMALL_RANGE)
        assert (part.status, part.body) == (206, SMALL_FILE[100:356])
        assert part.header("Content-Range") == f"bytes 100-355/{len(SMALL_FILE)}"
        suffix = exchange(sock, GET_SMALL_SUFFIX)
        assert (suffix.status, suffix.body) == (206, SMALL_FILE[-48:])


def test_big_static_file_intact_on_epoll(file_server, site):
    expected = hashlib.sha256((site / "big.bin").read_bytes()).hexdigest()
    offset = BIG_FILE_SIZE // 2 + 12345
    with httpx.Client(base_url=file_server.base_url, timeout=30) as client:
        with client.stream("GET", "/big.bin") as response:
            assert response.status_code == 200
            digest = hashlib.sha256()
            for chunk in response.iter_bytes():
                digest.update(chunk)
        assert digest.hexdigest() == expected
        ranged = client.get("/big.bin", headers={"range": f"bytes={offset}-{offset + 99_999}"})
    assert ranged.status_code == 206
    assert ranged.content == (site / "big.bin").read_bytes()[offset : offset + 100_000]


# ---------------------------------------------------------------------------------------------------------
# io_uring required: one error line, non-zero exit


@pytest.mark.parametrize("how", ["option", "environment"])
def test_io_uring_required_fails_in_one_line(wrapper, how):
    command = [*wrapper, str(URING_SERVE), "--host", HOST, "--port", str(free_port()), "--threads", "1"]
    env = {key: value for key, value in os.environ.items() if key != "URING_GRANIAN_IO_BACKEND"}
    if how == "option":
        command += ["--io-backend", "io_uring"]
    else:
        env["URING_GRANIAN_IO_BACKEND"] = "io_uring"
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("uring-serve: error: io_uring_setup was refused (EPERM)"), lines[0]
    assert "seccomp" in lines[0]
