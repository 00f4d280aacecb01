"""The counting layer of --metrics on its own: which status each request is recorded with, and that it hands the
server the very body objects the server's fast paths look for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from uring_granian.worker_metrics import AppCounters, counting_app

HTTP_SCOPE = {"type": "http", "path": "/"}
START = {"type": "http.response.start", "status": 201, "headers": []}
BODY = {"type": "http.response.body", "body": b"x"}


def run_asgi(app: Callable[..., Any], scope: dict[str, Any] = HTTP_SCOPE) -> tuple[AppCounters, list[str]]:
    counters = AppCounters()
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    async def main() -> None:
        await counting_app(app, "asgi", counters)(scope, receive, send)

    try:
        asyncio.run(main())
    except RuntimeError as exc:
        assert str(exc) == "app failed"
    return counters, sent


def test_asgi_records_the_status_the_client_got() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send(BODY)

    counters, sent = run_asgi(app)
    assert sent == ["http.response.start", "http.response.body"]  # passed through untouched
    assert counters.requests_by_status == {201: 1} and sum(counters.duration_buckets) == 1


@pytest.mark.parametrize("returns", [True, False])
def test_asgi_failure_before_the_body_is_a_500(returns: bool) -> None:
    # The bridge holds the head until the first body message, so the client gets 500, not the chosen 201.
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        if not returns:
            raise RuntimeError("app failed")

    counters, _ = run_asgi(app)
    assert counters.requests_by_status == {500: 1}


def test_asgi_failure_after_the_body_keeps_the_status_sent() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send({**BODY, "more_body": True})
        raise RuntimeError("app failed")

    counters, _ = run_asgi(app)
    assert counters.requests_by_status == {201: 1}


def test_asgi_lifespan_is_not_a_request() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    counters, _ = run_asgi(app, {"type": "lifespan"})
    assert counters.requests_by_status == {} and sum(counters.duration_buckets) == 0


class FileWrapper:
    def __init__(self, file: Any) -> None:
        self.file = file


def run_wsgi(body: Any, status: str = "200 OK") -> tuple[AppCounters, Any]:
    counters = AppCounters()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response(status, [])
        return body

    environ = {"wsgi.file_wrapper": FileWrapper}
    returned = counting_app(app, "wsgi", counters)(environ, lambda status, headers, exc_info=None: None)
    return counters, returned


def test_wsgi_list_and_file_bodies_are_handed_over_as_they_are() -> None:
    body = [b"a"]
    counters, returned = run_wsgi(body, "404 Not Found")
    assert returned is body and counters.requests_by_status == {404: 1}
    wrapped = FileWrapper(None)
    counters, returned = run_wsgi(wrapped)
    assert returned is wrapped and counters.requests_by_status == {200: 1}


def test_wsgi_iterable_is_recorded_when_the_server_closes_it() -> None:
    closed: list[bool] = []

    def generate() -> Iterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    counters, returned = run_wsgi(generate())
    assert list(returned) == [b"a", b"b"]
    assert counters.requests_by_status == {}  # not closed yet
    returned.close()
    returned.close()  # PEP 3333 servers call it once; twice must not count twice
    assert counters.requests_by_status == {200: 1} and closed == [True]


def test_wsgi_app_raising_is_a_500() -> None:
    counters = AppCounters()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        counting_app(app, "wsgi", counters)({}, lambda *args: None)
    assert counters.requests_by_status == {500: 1}


def test_histogram_buckets_by_upper_bound() -> None:
    counters = AppCounters()
    for seconds in (0.001, 0.005, 0.0051, 20.0):
        counters.record(200, seconds)
    snapshot = counters.snapshot()
    assert snapshot["duration_buckets"][:2] == [2, 1]  # le=0.005 includes 0.005 itself
    assert snapshot["duration_buckets"][-1] == 1  # +Inf
    assert snapshot["requests_by_status"] == {"200": 4}
