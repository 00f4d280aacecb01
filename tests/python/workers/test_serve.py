"""The blocking `uring_granian.serve(app, **options)` from a user's script: one worker in-process, or a supervisor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from worker_processes import HERE, child_pids, free_port, wait_until

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

pytestmark = pytest.mark.timeout(120)

SCRIPT = """
import os, sys
import uring_granian

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({{"type": "lifespan.startup.complete"}})
        await send({{"type": "lifespan.shutdown.complete"}})
        return
    body = f"{{os.getpid()}} {{scope.get('root_path', '')}}".encode()
    await send({{"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}})
    await send({{"type": "http.response.body", "body": body}})

uring_granian.serve({app}, port={port}, {options})
print("serve returned", flush=True)
"""


def start_script(tmp_path: Path, app: str, options: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    script = tmp_path / "serve_script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(app=app, port=port, options=options)))
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=HERE,
        env={**os.environ, "UG_TEST_MARKERS": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def get_when_up(port: int, process: subprocess.Popen[str]) -> httpx.Response:
    def attempt() -> httpx.Response | None:
        if process.poll() is not None:
            pytest.fail(f"serve() exited early ({process.returncode}):\n{process.communicate()[0]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        except httpx.TransportError:
            return None

    return wait_until(attempt, 30, "the server to answer")


def test_serve_an_app_object_in_process(tmp_path: Path) -> None:
    process, port = start_script(tmp_path, "app", "url_path_prefix='/base'")
    try:
        response = get_when_up(port, process)
        assert response.status_code == 200
        assert response.text == f"{process.pid} /base"  # served by the calling process itself
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
        assert process.returncode == 0, output
        assert "serve returned" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_serve_an_import_string_with_workers(tmp_path: Path) -> None:
    process, port = start_script(tmp_path, "'pid_app:app'", "workers=2")
    try:
        response = get_when_up(port, process)
        workers = wait_until(lambda: len(child_pids(process.pid)) == 2 and child_pids(process.pid), 30, "2 workers")
        assert int(response.text) in workers
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
        assert process.returncode == 0, output
        assert "serve returned" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
