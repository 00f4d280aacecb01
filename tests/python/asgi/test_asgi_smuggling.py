"""Request smuggling (issue 12) in front of an ASGI app: every attempt gets one 400 and a closed connection, and
the request smuggled behind it never reaches the app; well-framed pipelined requests still both do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # the attempts, shared with the engine's tests
import smuggling_requests as smuggling  # noqa: E402

SERVER = ("smuggling_app:app", "--no-lifespan")


@pytest.mark.parametrize("name", sorted(smuggling.SMUGGLING_ATTEMPTS))
def test_smuggling_attempt_gets_400_and_the_smuggled_request_never_reaches_the_app(start_server, name: str) -> None:
    smuggling.assert_refused_before_reaching_the_app(start_server(*SERVER).port, name)


def test_well_framed_pipelined_requests_both_reach_the_app(start_server) -> None:
    calls = smuggling.app_calls_during(start_server(*SERVER).port, smuggling.exchange_valid_pipeline)
    assert calls == ["/", "/smuggled"]
