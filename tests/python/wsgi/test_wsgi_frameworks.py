"""Flask and Django (WSGI handler) apps serve their routes correctly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from wsgi_server_process import HERE
from server_process import ServerProcess

FILE_CONTENT = os.urandom(300_000)


def serve(app: str, *options: str, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(app, HERE, "--interface", "wsgi", *options, env=env).start()
    yield server
    status = server.stop()
    logs = server.logs()
    server.close()
    assert status == 0, logs
    assert "Exception in WSGI application" not in logs, logs


@pytest.fixture(scope="module")
def flask_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("files") / "payload.bin"
    path.write_bytes(FILE_CONTENT)
    yield from serve("flask_app:app", env={"FRAMEWORK_TEST_FILE": str(path)})


@pytest.fixture(scope="module")
def django_server() -> Iterator[ServerProcess]:
    yield from serve("django_wsgi_app:app", "--url-path-prefix", "/site")


def test_flask_routes(flask_server: ServerProcess) -> None:
    with httpx.Client(base_url=flask_server.url) as client:
        assert client.get("/").text == "flask index"
        assert client.get("/items/7", params={"q": "é x"}).json() == {"id": 7, "q": "é x", "script_root": ""}
        response = client.post("/form", data={"name": "ada"}, files={"upload": ("a.bin", b"z" * 100_000)})
        assert response.json() == {"name": "ada", "upload": 100_000}
        assert client.post("/json", json={"a": [1, 2]}).json() == {"received": {"a": [1, 2]}}
        assert client.get("/stream").text == "".join(f"part {index}\n" for index in range(5))
        assert client.get("/missing").status_code == 404
        response = client.get("/file")
        assert response.status_code == 200
        assert response.content == FILE_CONTENT
        assert response.headers["content-length"] == str(len(FILE_CONTENT))


def test_django_routes(django_server: ServerProcess) -> None:
    with httpx.Client(base_url=django_server.url) as client:
        assert client.get("/site/").text == "django index"
        assert client.get("/site/items/3", params={"q": "x"}).json() == {"id": 3, "q": "x", "script_name": "/site"}
        response = client.post("/site/upload", data={"name": "bob"}, files={"upload": ("b.bin", b"y" * 70_000)})
        assert response.json() == {"name": "bob", "upload": 70_000}
        assert client.get("/site/stream").text == "".join(f"part {index}\n" for index in range(5))
        assert client.get("/site/nowhere").status_code == 404
        assert len(client.get("/site/big").content) == 4 * 1024 * 1024
