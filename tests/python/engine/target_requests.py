"""Request-target forms (RFC 9112 3.2), shared by the engine, ASGI and WSGI end-to-end tests.

Whatever form a request's target has, the application sees origin-form + Host: ABSOLUTE_FORM must reach it as path
/p, query q=1 and host b.example (the target's authority wins over the Host header, RFC 9112 3.2.2). The refused
forms get one response (400, or 405 for CONNECT) and the close, and the request written behind them is never read.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from engine_wire import HttpReader, exchange
from smuggling_requests import SMUGGLED_GET, app_calls_during, assert_refused_alone

ABSOLUTE_FORM = b"GET http://b.example:8080/p?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Probe: 1\r\n\r\n"
ABSOLUTE_FORM_AUTHORITY = "b.example:8080"
ABSOLUTE_FORM_NO_PATH = b"GET HTTP://b.example?x=y HTTP/1.1\r\nHost: a.example\r\n\r\n"
ABSOLUTE_FORM_HTTP10 = b"GET http://b.example/p?q=1 HTTP/1.0\r\n\r\n"
OPTIONS_ASTERISK = b"OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n"

CONNECT = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"

# Each gets 400 and the close.
REFUSED_TARGETS = {
    "asterisk_with_get": b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "asterisk_with_more": b"OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n",
    "authority_form_with_get": b"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n",
    "scheme_ftp": b"GET ftp://example.com/f HTTP/1.1\r\nHost: a\r\n\r\n",
    "userinfo": b"GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "empty_host": b"GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n",
    "absolute_form_two_hosts": b"GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "absolute_form_invalid_host_header": b"GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n",
    "connect_origin_form": b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
    "connect_without_port": b"CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
}

# Allowed trailer fields are dropped: the application never sees them among the headers.
CHUNKED_WITH_ALLOWED_TRAILERS = (
    b"POST /trailers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2\r\nok\r\n0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=1\r\n\r\n"
)


def assert_connect_refused(sock: socket.socket) -> None:
    """CONNECT, with a request behind it: one 405 with an empty Allow (no method is allowed on a tunnel), then the
    close."""
    sock.sendall(CONNECT + SMUGGLED_GET)
    reader = HttpReader(sock)
    response = reader.read_response()
    assert response.status == 405, f"expected 405, got {response.status} {response.reason}"
    assert response.header_values("Allow") == [""]
    assert response.header("Connection") == "close"
    assert reader.closed_by_server(), "connection left open after the 405"


# ---- through an application that answers with what it was shown of each request and lists at GET /calls the
# paths it was called for (tests/python/asgi/targets_app.py, tests/python/wsgi/targets_wsgi_app.py) ----


def seen_by_app(port: int, request: bytes) -> dict[str, Any]:
    """What the app at 127.0.0.1:`port` was shown of `request` (its JSON answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        response = exchange(sock, request)
    assert response.status == 200, f"{response.status} {response.reason}: {response.body[:200]!r}"
    return json.loads(response.body)


def assert_app_sees_origin_form(port: int) -> None:
    """A router-style check: the absolute-form target is path /p and query q=1, and the one Host is the target's
    authority, whatever Host header the client sent."""
    seen = seen_by_app(port, ABSOLUTE_FORM)
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/p", "q=1")
    assert seen["hosts"] == [ABSOLUTE_FORM_AUTHORITY]
    seen = seen_by_app(port, ABSOLUTE_FORM_NO_PATH)
    assert (seen["path"], seen["query"], seen["hosts"]) == ("/", "x=y", ["b.example"])
    # HTTP/1.0 without a Host header: the authority becomes one.
    seen = seen_by_app(port, ABSOLUTE_FORM_HTTP10)
    assert (seen["path"], seen["query"], seen["hosts"]) == ("/p", "q=1", ["b.example"])


def assert_app_sees_options_asterisk(port: int) -> None:
    seen = seen_by_app(port, OPTIONS_ASTERISK)
    assert (seen["method"], seen["path"], seen["query"], seen["hosts"]) == ("OPTIONS", "*", "", ["a.example"])


def assert_refused_targets_never_reach_the_app(port: int) -> None:
    """Each refused form gets its 400 (CONNECT its 405) and the close, and the app is called for none of them."""
    for name, request in REFUSED_TARGETS.items():
        calls = app_calls_during(port, lambda sock, request=request: assert_refused_alone(sock, request))
        assert calls == [], name
    assert app_calls_during(port, assert_connect_refused) == []


def assert_allowed_trailers_are_dropped(port: int) -> None:
    """Trailer fields never join the headers the app sees; the body arrives whole."""
    seen = seen_by_app(port, CHUNKED_WITH_ALLOWED_TRAILERS)
    assert seen["body"] == "ok"
    assert not [name for name in seen["header_names"] if "checksum" in name.lower() or "timing" in name.lower()]
