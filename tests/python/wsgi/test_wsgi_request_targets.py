"""Request-target forms (RFC 9112 3.2) in front of a WSGI app: an absolute-form request reaches it as origin-form
(PATH_INFO, QUERY_STRING, HTTP_HOST the target's authority) under wsgiref.validate; OPTIONS * reaches it with
PATH_INFO '*'; the refused forms never reach it; trailer fields never become HTTP_* keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from wsgi_server_process import WsgiServerProcess

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # the requests, shared with the engine's tests
import target_requests as targets  # noqa: E402


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    # One WSGI thread: GET /calls runs after any request handed over before it.
    server = WsgiServerProcess("targets_wsgi_app:app", "--blocking-threads", "1").start()
    yield server.port
    status = server.stop()
    logs = server.logs()
    server.close()
    assert status == 0, logs


def test_absolute_form_reaches_the_app_as_origin_form_and_passes_wsgiref_validate(port: int) -> None:
    targets.assert_app_sees_origin_form(port)
    seen = targets.seen_by_app(port, targets.ABSOLUTE_FORM)
    assert "HTTP_X_PROBE" in seen["header_names"]
    assert "a.example" not in str(seen)


def test_options_asterisk_reaches_the_app(port: int) -> None:
    targets.assert_app_sees_options_asterisk(port)


def test_refused_targets_never_reach_the_app(port: int) -> None:
    targets.assert_refused_targets_never_reach_the_app(port)


def test_trailer_fields_are_not_headers(port: int) -> None:
    targets.assert_allowed_trailers_are_dropped(port)
