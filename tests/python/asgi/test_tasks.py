"""Requests run as real asyncio Tasks: current_task, wait_for, timeout and contextvars behave as in asyncio."""

from __future__ import annotations

import httpx
from server_process import ServerProcess


def test_handlers_run_in_asyncio_tasks(conformance_server: ServerProcess) -> None:
    report = httpx.get(conformance_server.url + "/tasks").json()
    assert report["is_task"] is True
    assert report["task_type"] in ("_asyncio.Task", "asyncio.tasks.Task", "asyncio.tasks._PyTask")
    assert report["wait_for"] == "wait_for-ok"
    assert report["timeout"] is True
    assert report["wait_for_timeout"] is True
    assert report["first_receive"] == "http.request"
    assert report["receive_timed_out"] is True
    assert report["contextvar_in_child"] == "set-in-request"


def test_many_concurrent_task_requests(conformance_server: ServerProcess) -> None:
    import concurrent.futures

    def one(_: int) -> bool:
        return httpx.get(conformance_server.url + "/tasks").json()["is_task"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(40)))
