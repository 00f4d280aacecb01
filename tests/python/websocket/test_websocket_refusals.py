"""Handshakes the ASGI app does not accept: closing before websocket.accept, returning, or raising are all answered
403 (the ASGI spec's answer to a close before the accept); only the exception is an ERROR in the log, with its
traceback, the other two are an INFO line. A denial response of the app's own (websocket.http.response) keeps its
status, and one it leaves unfinished is the app's bug: 500 and an ERROR line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_process import ServerProcess
from websockets.exceptions import InvalidStatus
from ws_server import open_ws, running_server

HANDSHAKE = (
    b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)

# path -> (the line logged for it, its level)
REFUSALS = {
    "/close-before-accept": ("ASGI application closed the WebSocket before accepting it (answered 403)", "INFO"),
    "/return-without-answer": (
        "ASGI application returned without accepting the WebSocket handshake (answered 403)",
        "INFO",
    ),
    "/raise-before": ("Exception in ASGI application", "ERROR"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server() as running:
        yield running
        assert running.stop() == 0, running.logs()


def refused_status(server: ServerProcess, path: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        open_ws(server, path)
    return refused.value.response.status_code


def logged_line(server: ServerProcess, text: str) -> tuple[str, str]:
    """The first log line containing `text`, and all the logs."""
    logs = server.wait_for_log(text)
    return next(line for line in logs.splitlines() if text in line), logs


@pytest.mark.parametrize("path", list(REFUSALS))
def test_an_unaccepted_handshake_is_a_403(server: ServerProcess, path: str) -> None:
    assert refused_status(server, path) == 403
    raw = server.raw_request(HANDSHAKE % path.encode())  # read until the server closes
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 "), raw[:200]
    assert b"\r\nconnection: close" in head.lower()
    assert body == b"Forbidden"


@pytest.mark.parametrize("path", ["/close-before-accept", "/return-without-answer"])
def test_closing_or_returning_before_the_accept_is_logged_at_info(server: ServerProcess, path: str) -> None:
    assert refused_status(server, path) == 403
    text, level = REFUSALS[path]
    line, logs = logged_line(server, f"{text} (WEBSOCKET {path})")
    assert f"[{level}]" in line
    assert not [entry for entry in logs.splitlines() if "[ERROR]" in entry and path in entry], logs


def test_an_exception_before_the_accept_is_logged_at_error_with_its_traceback(server: ServerProcess) -> None:
    assert refused_status(server, "/raise-before") == 403
    line, _ = logged_line(server, "Exception in ASGI application (WEBSOCKET /raise-before)")
    assert "[ERROR]" in line
    logs = server.wait_for_log("ValueError: boom before the websocket accept")
    after = logs[logs.index(line) :]
    assert "Traceback (most recent call last)" in after


def test_the_apps_own_denial_response_is_kept_and_not_logged(server: ServerProcess) -> None:
    assert refused_status(server, "/deny") == 401
    # /deny-start-only comes after /deny: once its line is there, a line about /deny would be too.
    assert refused_status(server, "/deny-start-only") == 500
    _, logs = logged_line(server, "(WEBSOCKET /deny-start-only)")
    assert "(WEBSOCKET /deny)" not in logs


def test_a_denial_response_left_unfinished_is_a_500_logged_at_error(server: ServerProcess) -> None:
    assert refused_status(server, "/deny-start-only") == 500
    line, _ = logged_line(
        server,
        "ASGI application returned without sending the denial response's body (answered 500)"
        " (WEBSOCKET /deny-start-only)",
    )
    assert "[ERROR]" in line
