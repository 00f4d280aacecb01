"""The WebSocket options as the engine gets them (EngineSettings.websocket), and their bad values."""

from __future__ import annotations

import pytest
from uring_granian.cli import parse_config
from uring_granian.http import EngineSettings, WebSocketSettings


def settings(*args: str) -> WebSocketSettings:
    return EngineSettings.from_config(parse_config([*args, "app:app"])).websocket


def test_defaults_are_uvicorns() -> None:
    assert settings() == WebSocketSettings(
        enabled=True,
        max_message_bytes=16 * 1024 * 1024,
        ping_interval_ms=20_000,
        ping_timeout_ms=20_000,
        per_message_deflate=True,
    )


def test_options_reach_the_engine_in_its_units() -> None:
    chosen = settings("--ws-max-size", "1000", "--ws-ping-interval", "0.25", "--ws-ping-timeout", "0")
    assert chosen == WebSocketSettings(
        enabled=True, max_message_bytes=1000, ping_interval_ms=250, ping_timeout_ms=0, per_message_deflate=True
    )


def test_per_message_deflate_is_on_unless_turned_off() -> None:
    assert settings().per_message_deflate is True
    assert settings("--no-ws-per-message-deflate").per_message_deflate is False
    assert settings("--ws-per-message-deflate").per_message_deflate is True


def test_no_ws_and_wsgi_turn_websockets_off() -> None:
    assert settings("--no-ws").enabled is False
    # WSGI runs with the multi-threaded runtime only (the suite may run under URING_GRANIAN_RUNTIME_MODE=st).
    assert settings("--interface", "wsgi", "--runtime-mode", "mt").enabled is False
    assert settings("--interface", "wsgi", "--runtime-mode", "mt", "--ws").enabled is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ws-max-size", "0"], "--ws-max-size must be at least 1"),
        (["--ws-max-size", "lots"], "--ws-max-size"),
        (["--ws-ping-interval", "-1"], "--ws-ping-interval must be at least 0"),
        (["--ws-ping-timeout", "soon"], "--ws-ping-timeout"),
    ],
)
def test_bad_values_are_one_line_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_config([*args, "app:app"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
