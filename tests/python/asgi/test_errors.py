"""Error paths: what the client gets and what the log keeps when the app fails or breaks the protocol."""

from __future__ import annotations

import httpx
import pytest
from server_process import ServerProcess

CLOSE = b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"


def test_exception_before_the_response_is_a_500_with_the_traceback_logged(conformance_server: ServerProcess) -> None:
    response = httpx.get(conformance_server.url + "/raise-before")
    assert response.status_code == 500
    logs = conformance_server.wait_for_log("ValueError: boom before the response started")
    assert "Exception in ASGI application (GET /raise-before)" in logs
    assert "Traceback (most recent call last)" in logs


@pytest.mark.parametrize(
    ("route", "logged"),
    [
        ("/raise-after", "ValueError: boom after the response started"),
        ("/return-mid-response", "returned without completing the response"),
    ],
)
def test_failing_after_the_response_started_cuts_the_connection(
    conformance_server: ServerProcess, route: str, logged: str
) -> None:
    # What the app sent before failing always arrives (flushed, then a close rather than a reset), and the
    # chunked body never gets its terminator, so the client can tell the response is incomplete.
    for _ in range(20):
        raw = conformance_server.raw_request(b"GET " + route.encode() + CLOSE)
        assert raw.startswith(b"HTTP/1.1 200 OK"), raw[:200]
        assert raw.endswith(b"7\r\npartial\r\n"), raw[-60:]
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(conformance_server.url + route)
    conformance_server.wait_for_log(logged)


def test_returning_without_a_response_is_a_500(conformance_server: ServerProcess) -> None:
    assert httpx.get(conformance_server.url + "/return-without-response").status_code == 500
    conformance_server.wait_for_log("returned without sending a complete response")


@pytest.mark.parametrize(
    ("route", "logged"),
    [
        ("/bad-header", "header name 'bad name' contains a character not allowed"),
        ("/bad-header-value", "the value of header 'x-bad' contains CR, LF or NUL"),
        ("/body-before-start", "http.response.body sent before http.response.start"),
        ("/double-start", "http.response.start sent twice"),
        ("/wrong-body-type", "'body' must be bytes-like, not str"),
    ],
)
def test_protocol_violations_are_500s_naming_the_problem(
    conformance_server: ServerProcess, route: str, logged: str
) -> None:
    raw = conformance_server.raw_request(b"GET " + route.encode() + CLOSE)
    assert raw.startswith(b"HTTP/1.1 500"), raw[:200]
    assert b"x-injected" not in raw
    logs = conformance_server.wait_for_log(logged)
    assert "uring_granian.errors.ProtocolError" in logs or "ProtocolError: " in logs


def test_protocol_errors_are_runtime_errors_raised_by_send(conformance_server: ServerProcess) -> None:
    seen = httpx.get(conformance_server.url + "/protocol-errors").json()
    for name in ("body_before_start", "unknown_type", "not_a_dict", "status_type", "header_type"):
        assert seen[name]["type"] == "ProtocolError", (name, seen[name])
        assert seen[name]["runtime"] is True
    assert "http.response.nonsense" in seen["unknown_type"]["text"]
    assert "'status' must be an int" in seen["status_type"]["text"]
    assert "must be bytes, not str" in seen["header_type"]["text"]


def test_the_server_keeps_serving_after_errors(conformance_server: ServerProcess) -> None:
    with httpx.Client() as client:
        for route in ("/raise-before", "/return-without-response", "/bad-header", "/scope"):
            client.get(conformance_server.url + route)
        assert client.get(conformance_server.url + "/scope").status_code == 200


def test_every_bridge_object_is_released_after_the_error_paths(conformance_server: ServerProcess) -> None:
    # Runs after the other tests of this module on the same server (pytest keeps file order).
    report = httpx.get(conformance_server.url + "/live").json()
    live = report["live"]
    assert live["exchanges"] == 1 and live["registered"] == 1  # the /live request itself
    assert all(count == 0 for name, count in live.items() if name not in ("servers", "exchanges", "registered"))
    assert report["garbage"] == 0


def test_a_busy_port_is_a_one_line_startup_error() -> None:
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:  # no SO_REUSEPORT: the port is taken
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        command = [sys.executable, "-m", "uring_granian", "--port", port, "conformance_app:app"]
        result = subprocess.run(command, cwd=Path(__file__).parent, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("uring-granian: error:")]
    assert len(lines) == 1 and "in use" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
