"""Static files with uring-serve --root: integrity, Range, conditional requests, index.html, no root escape."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from engine_wire import HttpReader, exchange

BIG_FILE_SIZE = 64 * 1024 * 1024
HELLO_TEXT = b"hello from a static file\n" * 40  # 1000 bytes
INDEX_HTML = b"<!doctype html><title>root index</title>\n"
SUB_INDEX_HTML = b"<!doctype html><title>sub index</title>\n"
SECRET = b"secret outside the root\n"

GET_ROOT = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_SUB_DIRECTORY = b"GET /sub/ HTTP/1.1\r\nHost: test\r\n\r\n"
GET_HELLO = b"GET /hello.txt HTTP/1.1\r\nHost: test\r\n\r\n"
HEAD_HELLO = b"HEAD /hello.txt HTTP/1.1\r\nHost: test\r\n\r\n"
GET_MISSING = b"GET /no-such-file.txt HTTP/1.1\r\nHost: test\r\n\r\n"
ESCAPE_REQUESTS = {
    "dot_dot": b"GET /../secret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "dot_dot_in_subdirectory": b"GET /sub/../../secret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "percent_encoded_dot_dot": b"GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "percent_encoded_upper_case": b"GET /sub/%2E%2E/%2E%2E/secret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "percent_encoded_slash": b"GET /..%2fsecret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "escaping_symlink": b"GET /escape.txt HTTP/1.1\r\nHost: test\r\n\r\n",
    "escaping_directory_symlink": b"GET /outside/secret.txt HTTP/1.1\r\nHost: test\r\n\r\n",
}


def get_with(path: str, *headers: str) -> bytes:
    lines = "".join(f"{header}\r\n" for header in headers)
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{lines}\r\n".encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """root/ with files, a sub-directory index and symlinks leaving the root; secret.txt beside root/."""
    base = tmp_path_factory.mktemp("site")
    (base / "secret.txt").write_bytes(SECRET)
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX_HTML)
    (root / "sub" / "index.html").write_bytes(SUB_INDEX_HTML)
    (root / "hello.txt").write_bytes(HELLO_TEXT)
    (root / "escape.txt").symlink_to(base / "secret.txt")
    (root / "outside").symlink_to(base)
    with open(root / "big.bin", "wb") as big:
        block = os.urandom(1 << 20)
        for index in range(BIG_FILE_SIZE >> 20):
            big.write(hashlib.sha256(block + bytes([index])).digest() + block[32:])
    return root


@pytest.fixture(scope="module")
def file_server(module_server_factory, site):
    return module_server_factory("--root", str(site))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_file_with_type_and_validators(file_server):
    with file_server.connect() as sock:
        response = exchange(sock, GET_HELLO)
    assert response.status == 200
    assert response.body == HELLO_TEXT
    assert (response.header("Content-Type") or "").startswith("text/plain")
    assert response.header("ETag")
    assert response.header("Last-Modified")


def test_head_of_a_file_has_length_but_no_body(file_server):
    with file_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(HEAD_HELLO + GET_HELLO)
        head = reader.read_response(head_request=True)
        assert head.status == 200
        assert head.header("Content-Length") == str(len(HELLO_TEXT))
        assert reader.read_response().body == HELLO_TEXT


def test_directory_serves_index_html(file_server):
    with file_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(GET_ROOT + GET_SUB_DIRECTORY)
        root_index = reader.read_response()
        sub_index = reader.read_response()
    assert root_index.status == 200 and root_index.body == INDEX_HTML
    assert (root_index.header("Content-Type") or "").startswith("text/html")
    assert sub_index.status == 200 and sub_index.body == SUB_INDEX_HTML


def test_missing_file_is_404(file_server):
    with file_server.connect() as sock:
        assert exchange(sock, GET_MISSING).status == 404


@pytest.mark.parametrize("name", sorted(ESCAPE_REQUESTS))
def test_no_escape_from_root(file_server, name):
    with file_server.connect() as sock:
        response = exchange(sock, ESCAPE_REQUESTS[name])
    assert response.status in (400, 403, 404), f"{name}: got {response.status}"
    assert SECRET not in response.body


def test_64_mib_file_intact_with_curl(file_server, site, tmp_path):
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is missing: run scripts/setup")
    target = tmp_path / "big.bin"
    subprocess.run(
        [curl, "--silent", "--show-error", "--fail", "--max-time", "60", "-o", str(target),
         f"{file_server.base_url}/big.bin"],
        check=True, timeout=90,
    )  # fmt: skip
    assert target.stat().st_size == BIG_FILE_SIZE
    assert sha256_of(target) == sha256_of(site / "big.bin")


def test_64_mib_file_intact_with_httpx(file_server, site):
    digest = hashlib.sha256()
    received = 0
    with httpx.Client(timeout=60) as client:
        with client.stream("GET", f"{file_server.base_url}/big.bin") as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(BIG_FILE_SIZE)
            for chunk in response.iter_raw():
                digest.update(chunk)
                received += len(chunk)
    assert received == BIG_FILE_SIZE
    assert digest.hexdigest() == sha256_of(site / "big.bin")


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, 999), ("bytes=-5", 995, 999), ("bytes=990-5000", 990, 999)],
)
def test_range_request_gets_206(file_server, range_header, first, last):
    with file_server.connect() as sock:
        response = exchange(sock, get_with("/hello.txt", f"Range: {range_header}"))
    assert response.status == 206
    assert response.header("Content-Range") == f"bytes {first}-{last}/{len(HELLO_TEXT)}"
    assert response.body == HELLO_TEXT[first : last + 1]


@pytest.mark.parametrize("range_header", ["bytes=1000-", "bytes=5000-6000"])
def test_unsatisfiable_range_gets_416(file_server, range_header):
    with file_server.connect() as sock:
        response = exchange(sock, get_with("/hello.txt", f"Range: {range_header}"))
    assert response.status == 416
    assert response.header("Content-Range") == f"bytes */{len(HELLO_TEXT)}"


def test_range_within_the_big_file(file_server, site):
    offset = 40 * 1024 * 1024 + 123
    with open(site / "big.bin", "rb") as stream:
        stream.seek(offset)
        expected = stream.read(100_000)
    with file_server.connect() as sock:
        response = exchange(sock, get_with("/big.bin", f"Range: bytes={offset}-{offset + len(expected) - 1}"))
    assert response.status == 206
    assert response.body == expected


@pytest.mark.parametrize(
    ("validator", "condition", "stale_value"),
    [
        ("ETag", "If-None-Match", '"some-other-etag"'),
        ("Last-Modified", "If-Modified-Since", "Thu, 01 Jan 1998 00:00:00 GMT"),
    ],
)
def test_conditional_get_gets_304(file_server, validator, condition, stale_value):
    with file_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(GET_HELLO)
        first = reader.read_response()
        current_value = first.header(validator)
        # 304 then a normal GET in one write: a 304 with a body would break the second response.
        sock.sendall(get_with("/hello.txt", f"{condition}: {current_value}") + GET_HELLO)
        not_modified = reader.read_response()
        assert not_modified.status == 304
        assert not_modified.header("ETag") == first.header("ETag")  # RFC 9110 15.4.5: 304 repeats the ETag
        assert reader.read_response().body == HELLO_TEXT
        sock.sendall(get_with("/hello.txt", f"{condition}: {stale_value}"))
        assert reader.read_response().status == 200
