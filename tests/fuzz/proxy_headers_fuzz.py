#!/usr/bin/env python3
"""Fuzz target for --proxy-headers (uring_granian.proxy_headers), run with atheris by scripts/fuzz.

Invariants, on any header values and --forwarded-allow-ips spec:
  - parse_trusted either returns or raises ValueError;
  - a peer that is not trusted changes nothing in the ASGI scope or the WSGI environ;
  - for a trusted peer, the client named is a hop of the header, and every hop nearer than it is trusted
    (a client cannot forge its way past the proxy that appended its address);
  - the scheme is one of http/https/ws/wss, and the scope keeps exactly one Host header.
"""

from __future__ import annotations

import asyncio
import copy
import sys
from pathlib import Path

import atheris

# The package's pure-Python modules import without the native extension, so no build is needed.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pybridge"))
with atheris.instrument_imports():
    from uring_granian import proxy_headers

HEADER_NAMES = (b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")
SPECS = ("127.0.0.1", "10.0.0.0/8,::1", "*", "")


async def _noop_receive() -> dict:
    return {"type": "http.request"}


async def _noop_send(message: dict) -> None:
    pass


def _check(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    spec_choice = provider.ConsumeIntInRange(0, len(SPECS))
    spec = SPECS[spec_choice] if spec_choice < len(SPECS) else provider.ConsumeUnicodeNoSurrogates(40)
    try:
        trusted = proxy_headers.parse_trusted(spec)
    except ValueError:
        return
    peer = ("127.0.0.1", "10.1.2.3", "192.0.2.1", "::1")[provider.ConsumeIntInRange(0, 3)]
    headers = [(name, provider.ConsumeBytes(provider.ConsumeIntInRange(0, 80))) for name in HEADER_NAMES
               if provider.ConsumeBool()]
    headers.append((b"host", b"origin.example"))
    scope = {"type": "http", "client": (peer, 1234), "scheme": "http", "headers": headers}
    original = copy.deepcopy(scope)
    seen: list[dict] = []

    async def app(app_scope: dict, receive, send) -> None:
        seen.append(app_scope)

    asyncio.run(proxy_headers.with_proxy_headers(app, "asgi", spec)(scope, _noop_receive, _noop_send))
    result = seen[0]
    if not trusted.trusts(peer):
        if result != original:
            raise AssertionError("an untrusted peer's headers changed the scope")
    else:
        if result["scheme"] not in ("http", "https", "ws", "wss"):
            raise AssertionError(f"scheme {result['scheme']!r}")
        if sum(1 for name, _ in result["headers"] if name == b"host") != 1:
            raise AssertionError("the scope does not keep exactly one Host header")
        forwarded = proxy_headers._Forwarded(
            {name.decode(): value.decode("latin-1") for name, value in headers if name in HEADER_NAMES}, trusted
        )
        if forwarded.client is not None:
            hops = _hops(headers)
            if forwarded.client not in hops:
                raise AssertionError(f"client {forwarded.client!r} is not a hop of {hops!r}")
            nearer = hops[len(hops) - 1 - hops[::-1].index(forwarded.client) + 1 :]
            if not all(trusted.trusts(hop) for hop in nearer):
                raise AssertionError(f"client {forwarded.client!r} is behind an untrusted hop in {hops!r}")

    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http"}
    for name, value in headers:
        environ["HTTP_" + name.decode().upper().replace("-", "_")] = value.decode("latin-1")
    environ_before = dict(environ)
    environs: list[dict] = []
    proxy_headers.with_proxy_headers(lambda env, start: environs.append(env) or [], "wsgi", spec)(environ, None)
    if not trusted.trusts(peer) and environs[0] != environ_before:
        raise AssertionError("an untrusted peer's headers changed the environ")
    if environs[0]["wsgi.url_scheme"] not in ("http", "https"):
        raise AssertionError("wsgi.url_scheme is not http or https")


def _hops(headers: list[tuple[bytes, bytes]]) -> list[str]:
    """Every host the address headers name, as the module strips them (for the membership check only)."""
    values = {name: value.decode("latin-1") for name, value in headers}
    if b"forwarded" in values:
        fors = [pair.partition("=")[2] for element in values[b"forwarded"].split(",") for pair in element.split(";")
                if pair.partition("=")[0].strip().lower() == "for"]
        return [proxy_headers._node_host(node.strip().strip('"')) for node in fors]
    return [proxy_headers._node_host(hop) for hop in values.get(b"x-forwarded-for", "").split(",") if hop.strip()]


def main() -> None:
    atheris.Setup(sys.argv, _check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
