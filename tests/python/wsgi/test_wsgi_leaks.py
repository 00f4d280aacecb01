"""RSS stays flat over thousands of 4 MB WSGI responses (each lent to the engine without a copy, its reference
dropped by a WSGI thread once the reactor is done), and every bridge object is released."""

from __future__ import annotations

import json

import pytest
from wsgi_server_process import HERE
from server_process import ServerProcess
from test_leaks import KeepAliveClient  # tests/python/leaks (on sys.path): a keep-alive client for large bodies

WARM_UP = 200
MEASURED = 2000
RSS_GROWTH_LIMIT_KIB = 20 * 1024


@pytest.mark.slow
@pytest.mark.parametrize(("app", "factory"), [("leak_apps:raw", False), ("leak_apps:flask_factory", True),
                                              ("leak_apps:django_factory", True)])
def test_large_responses_do_not_leak(app: str, factory: bool) -> None:
    options = ["--interface", "wsgi", *(["--factory"] if factory else [])]
    server = ServerProcess(app, HERE, *options).start()
    client = KeepAliveClient(server.port)
    try:
        for _ in range(WARM_UP):
            assert len(client.get("/big")) == 4 * 1024 * 1024
        before = json.loads(client.get("/__bridge_stats"))
        for _ in range(MEASURED):
            assert len(client.get("/big")) == 4 * 1024 * 1024
        after = json.loads(client.get("/__bridge_stats"))
    finally:
        client.close()
        server.stop()
        logs = server.logs()
        server.close()
    growth = after["rss_kib"] - before["rss_kib"]
    assert growth < RSS_GROWTH_LIMIT_KIB, (before, after, logs[-2000:])
    # The stats request itself is the one live channel, with its wsgi.input and responder.
    assert after["live"] == {**after["live"], "wsgi_channels": 1, "wsgi_objects": 2, "external_buffers": 0}
    assert after["garbage"] == 0
