"""Starlette, Quart and Django (ASGI handler) apps serve their routes correctly on the bridge."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_process import ServerProcess

HERE = Path(__file__).parent
FILE_CONTENT = os.urandom(200_000)


@pytest.fixture(scope="module")
def served_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("files") / "payload.bin"
    path.write_bytes(FILE_CONTENT)
    return path


def serve(app: str, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(app, HERE, env=env).start()
    yield server
    status = server.stop()
    logs = server.logs()
    server.close()
    assert status == 0, logs
    assert "Exception in ASGI application" not in logs, logs


@pytest.fixture(scope="module")
def starlette_server(served_file: Path) -> Iterator[ServerProcess]:
    yield from serve("starlette_app:app", {"FRAMEWORK_TEST_FILE": str(served_file)})


@pytest.fixture(scope="module")
def quart_server() -> Iterator[ServerProcess]:
    yield from serve("quart_app:app")


@pytest.fixture(scope="module")
def django_server() -> Iterator[ServerProcess]:
    yield from serve("django_app:application")


def test_starlette_routes(starlette_server: ServerProcess) -> None:
    with httpx.Client(base_url=starlette_server.url) as client:
        assert client.get("/").text == "Hello, Starlette!"
        assert client.get("/items/abc", params={"q": "1"}).json() == {"name": "abc", "q": "1"}
        assert client.get("/missing").status_code == 404
        streamed = client.get("/stream")
        assert streamed.text == "part0;part1;part2;part3;part4;"
        assert streamed.headers.get("transfer-encoding") == "chunked"
        payload = os.urandom(300_000)
        assert client.post("/upload", content=payload).content == payload
        assert client.get("/upload").status_code == 405


def test_starlette_file_response_uses_pathsend(starlette_server: ServerProcess) -> None:
    response = httpx.get(starlette_server.url + "/file")
    assert response.status_code == 200
    assert response.content == FILE_CONTENT
    assert response.headers["content-length"] == str(len(FILE_CONTENT))


def test_quart_routes(quart_server: ServerProcess) -> None:
    with httpx.Client(base_url=quart_server.url) as client:
        assert client.get("/").text == "Hello, Quart!"
        assert client.get("/json/abc", params={"q": "2"}).json() == {"name": "abc", "q": "2"}
        assert client.get("/missing").status_code == 404
        payload = os.urandom(200_000)
        assert client.post("/upload", content=payload).content == payload
        big = client.get("/big")
        assert len(big.content) == 4 * 1024 * 1024 and big.content[:1] == b"q"


def test_django_routes(django_server: ServerProcess) -> None:
    with httpx.Client(base_url=django_server.url) as client:
        assert client.get("/").text == "Hello, Django!"
        assert client.get("/json/abc", params={"q": "3"}).json() == {"name": "abc", "q": "3", "path": "/json/abc"}
        assert client.get("/missing").status_code == 404
        payload = os.urandom(200_000)
        assert client.post("/upload", content=payload).content == payload
        big = client.get("/big")
        assert len(big.content) == 4 * 1024 * 1024 and big.content[:1] == b"d"
