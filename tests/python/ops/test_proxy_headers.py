"""--proxy-headers with --forwarded-allow-ips: Forwarded / X-Forwarded-* are honoured from trusted peers only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import RunningServer

from uring_granian.proxy_headers import parse_trusted

ASGI_APP = '''
import json

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    host = dict(scope["headers"]).get(b"host", b"").decode()
    body = json.dumps({"client": scope["client"][0], "scheme": scope["scheme"], "host": host}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
'''

WSGI_APP = '''
import json

def app(environ, start_response):
    body = json.dumps({"client": environ["REMOTE_ADDR"], "scheme": environ["wsgi.url_scheme"],
                       "host": environ.get("HTTP_HOST", "")}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''

PROXIED = {"X-Forwarded-For": "203.0.113.7, 10.0.0.5", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.org"}


def start(launch: Callable[..., RunningServer], tmp_path: Path, interface: str, *options: str) -> RunningServer:
    (tmp_path / "proxy_app.py").write_text(ASGI_APP if interface == "asgi" else WSGI_APP)
    return launch("--interface", interface, *options, app="proxy_app:app", cwd=tmp_path)


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_headers_from_a_trusted_proxy_are_honoured(
    launch: Callable[..., RunningServer], tmp_path: Path, interface: str
) -> None:
    # 127.0.0.1 (the test) and 10.0.0.5 (a proxy in the chain) are trusted: the client is the first hop before them.
    server = start(launch, tmp_path, interface, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1,10.0.0.0/8")
    seen = httpx.get(server.url("/"), headers=PROXIED).json()
    assert seen == {"client": "203.0.113.7", "scheme": "https", "host": "example.org"}
    forwarded = httpx.get(server.url("/"), headers={"Forwarded": 'for="[2001:db8::1]:4711";proto=https;host=a.test'})
    assert forwarded.json() == {"client": "2001:db8::1", "scheme": "https", "host": "a.test"}


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_headers_from_an_untrusted_peer_are_ignored(
    launch: Callable[..., RunningServer], tmp_path: Path, interface: str
) -> None:
    server = start(launch, tmp_path, interface, "--proxy-headers", "--forwarded-allow-ips", "192.0.2.1")
    seen = httpx.get(server.url("/"), headers=PROXIED).json()
    assert seen["client"] == "127.0.0.1"
    assert seen["scheme"] == "http"
    assert seen["host"] == f"127.0.0.1:{server.port}"


def test_without_proxy_headers_nothing_is_rewritten(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    server = start(launch, tmp_path, "asgi")
    seen = httpx.get(server.url("/"), headers=PROXIED).json()
    assert seen["client"] == "127.0.0.1" and seen["scheme"] == "http"


def test_a_client_cannot_forge_its_way_past_a_trusted_proxy() -> None:
    trusted = parse_trusted("127.0.0.1,10.0.0.0/8")
    assert trusted.trusts("10.1.2.3") and trusted.trusts("127.0.0.1")
    assert not trusted.trusts("203.0.113.7") and not trusted.trusts("not-an-ip") and not trusted.trusts(None)
    assert parse_trusted("*").trusts("198.51.100.9")
