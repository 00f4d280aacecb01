"""A static-route observer that raises: the error is logged with its cause, and when the logger raises too, that
reaches sys.unraisablehook instead of vanishing. In-process (Server(...).serve() in this test's loop), so the
test can replace the observer and the logger; the requests go over real sockets.

Each test sends the static request, then an app request on the same connection: the reactor queues the static
answer before it reads the next request, so once the app has answered, the observer has been called.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from worker_processes import free_port

from uring_granian import Server
from uring_granian import server as server_module

STYLE = b"body { color: teal }\n"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"app"})


def failing_observer(*_: Any) -> None:
    raise RuntimeError("the observer failed")


def serve_static_then_app(mount: Path) -> None:
    async def main() -> None:
        server = Server(app, port=free_port(), lifespan=False, static_path_mount=(str(mount),))
        serving = asyncio.create_task(server.serve())
        while server.bound_port is None:
            assert not serving.done(), serving
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.bound_port}") as client:
            assert (await client.get("/static/style.css")).content == STYLE
            assert (await client.get("/app")).content == b"app"
        await server.stop()
        await serving

    asyncio.run(main())


@pytest.fixture
def mount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "style.css").write_bytes(STYLE)
    monkeypatch.setattr(server_module, "static_observer", lambda *_: failing_observer)
    return tmp_path


def test_a_failing_observer_is_logged_with_its_cause(mount: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="uring_granian"):
        serve_static_then_app(mount)
    failures = [record for record in caplog.records if record.getMessage().startswith("error while observing")]
    assert len(failures) == 1
    assert failures[0].exc_info is not None and str(failures[0].exc_info[1]) == "the observer failed"
    assert failures[0].exc_info[2] is not None  # the traceback came along


def test_a_failing_logger_is_unraisable(mount: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_error(*_: Any, **__: Any) -> None:
        raise RuntimeError("the logger failed")

    monkeypatch.setattr(server_module.logger, "error", failing_error)
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda entry: unraisable.append(str(entry.exc_value)))
    serve_static_then_app(mount)
    assert unraisable == ["the logger failed"]
