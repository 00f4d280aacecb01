"""Request-target forms (RFC 9112 3.2) in front of an ASGI app: an absolute-form request reaches it as origin-form
(path, raw_path, query_string) with the target's authority as its one Host header; OPTIONS * reaches it with path
'*'; the refused forms never reach it; trailer fields never join its headers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_process import ServerProcess

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # the requests, shared with the engine's tests
import target_requests as targets  # noqa: E402


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ServerProcess("targets_app:app", Path(__file__).parent, "--no-lifespan").start()
    yield server.port
    status = server.stop()
    logs = server.logs()
    server.close()
    assert status == 0, logs


def test_absolute_form_reaches_the_app_as_origin_form(port: int) -> None:
    targets.assert_app_sees_origin_form(port)
    seen = targets.seen_by_app(port, targets.ABSOLUTE_FORM)
    assert seen["raw_path"] == "/p"
    # One Host header, the target's authority; the client's Host: a.example is nowhere.
    assert seen["header_names"].count("host") == 1
    assert "a.example" not in str(seen)


def test_options_asterisk_reaches_the_app(port: int) -> None:
    targets.assert_app_sees_options_asterisk(port)
    assert targets.seen_by_app(port, targets.OPTIONS_ASTERISK)["raw_path"] == "*"


def test_refused_targets_never_reach_the_app(port: int) -> None:
    targets.assert_refused_targets_never_reach_the_app(port)


def test_trailer_fields_are_not_headers(port: int) -> None:
    targets.assert_allowed_trailers_are_dropped(port)
