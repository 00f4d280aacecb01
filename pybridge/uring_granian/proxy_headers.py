"""`--proxy-headers`: behind a trusted reverse proxy, the client address, scheme and host come from the proxy's
Forwarded (RFC 7239) or X-Forwarded-For / -Proto / -Host headers. Peers outside `--forwarded-allow-ips` are
never believed: their headers pass through untouched and the socket's peer address stays the client.

The address chain is walked from the nearest hop outwards, skipping hops that are themselves trusted proxies;
the first untrusted hop is the client (a client cannot forge its way past the proxy that appended its address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "TrustedProxies",
    "forwarded_environ",
    "forwarded_scope",
    "parse_trusted",
    "request_rewriter",
    "with_proxy_headers",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The --forwarded-allow-ips list: addresses, networks, or * for any peer."""

    def __init__(self, networks: list[Network], any_peer: bool) -> None:
        self.networks = networks
        self.any_peer = any_peer

    def trusts(self, host: str | None) -> bool:
        if self.any_peer:
            return True
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def parse_trusted(spec: str) -> TrustedProxies:
    """Parses --forwarded-allow-ips; ValueError names the entry that is not an address or network."""
    networks: list[Network] = []
    any_peer = False
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        if entry == "*":
            any_peer = True
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return TrustedProxies(networks, any_peer)


def _last_value(value: str) -> str:
    """The value set by the nearest proxy in a comma-separated header."""
    return value.rsplit(",", 1)[-1].strip()


def _parse_forwarded(value: str) -> list[dict[str, str]]:
    """Forwarded: for=..;proto=..;host=.., ... -> one dict per element, nearest proxy last."""
    elements = []
    for element in value.split(","):
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            name, _, raw = pair.partition("=")
            if name.strip():
                pairs[name.strip().lower()] = raw.strip().strip('"')
        elements.append(pairs)
    return elements


def _node_host(node: str) -> str:
    """A Forwarded `for` node or an X-Forwarded-For entry without brackets and port."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node[1:]
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node


class _Forwarded:
    """What the trusted proxies said: client host (if any), scheme, host."""

    def __init__(self, headers: dict[str, str], trusted: TrustedProxies) -> None:
        self.client: str | None = None
        self.scheme: str | None = None
        self.host: str | None = None
        if "forwarded" in headers:
            elements = _parse_forwarded(headers["forwarded"])
            hops = [_node_host(element["for"]) for element in elements if "for" in element]
            nearest = elements[-1] if elements else {}
            self.scheme = nearest.get("proto")
            self.host = nearest.get("host")
        else:
            hops = [_node_host(hop) for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
            if "x-forwarded-proto" in headers:
                self.scheme = _last_value(headers["x-forwarded-proto"])
            if "x-forwarded-host" in headers:
                self.host = _last_value(headers["x-forwarded-host"])
        for hop in reversed(hops):
            self.client = hop
            if not trusted.trusts(hop):
                break
        if self.scheme is not None:
            self.scheme = self.scheme.lower()
            if self.scheme not in ("http", "https", "ws", "wss"):
                self.scheme = None


def with_proxy_headers(app: Callable[..., Any], interface: str, spec: str) -> Callable[..., Any]:
    trusted = parse_trusted(spec)
    if interface == "wsgi":
        return _wsgi(app, trusted)
    return _asgi(app, trusted)


def request_rewriter(interface: str, spec: str) -> Callable[[Any], Any]:
    """What `with_proxy_headers` does to each request, as a function of the scope or environ alone: the static
    route's observers get the requests the engine answered without the app rewritten the same way, so their
    access-log lines name the client the proxy named."""
    trusted = parse_trusted(spec)
    if interface == "wsgi":
        return lambda environ: forwarded_environ(environ, trusted)
    return lambda scope: forwarded_scope(scope, trusted)


_FORWARDING_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")


def forwarded_scope(scope: MutableMapping[str, Any], trusted: TrustedProxies) -> MutableMapping[str, Any]:
    """`scope` as the trusted proxies describe the request: a rewritten copy, or `scope` itself when there is
    nothing to believe (an HTTP or WebSocket scope from an untrusted peer, or one without forwarding headers)."""
    if scope["type"] not in ("http", "websocket"):
        return scope
    client = scope.get("client")
    if not trusted.trusts(client[0] if client else None):
        return scope
    headers = {
        bytes(name).decode("latin-1"): bytes(value).decode("latin-1")
        for name, value in scope["headers"]
        if name in _FORWARDING_HEADERS
    }
    if not headers:
        return scope
    return _apply_to_scope(dict(scope), _Forwarded(headers, trusted))


def forwarded_environ(environ: dict[str, Any], trusted: TrustedProxies) -> dict[str, Any]:
    """`environ`, rewritten in place as the trusted proxies describe the request (WSGI's environ is the
    request's own dict, so no copy is made)."""
    if not trusted.trusts(environ.get("REMOTE_ADDR")):
        return environ
    headers = {
        name: environ[key]
        for name, key in (
            ("forwarded", "HTTP_FORWARDED"),
            ("x-forwarded-for", "HTTP_X_FORWARDED_FOR"),
            ("x-forwarded-proto", "HTTP_X_FORWARDED_PROTO"),
            ("x-forwarded-host", "HTTP_X_FORWARDED_HOST"),
        )
        if key in environ
    }
    if not headers:
        return environ
    forwarded = _Forwarded(headers, trusted)
    if forwarded.client is not None:
        environ["REMOTE_ADDR"] = forwarded.client
        environ.pop("REMOTE_PORT", None)
    if forwarded.scheme is not None:
        secure = forwarded.scheme in ("https", "wss")
        environ["wsgi.url_scheme"] = "https" if secure else "http"
        if secure:
            environ["HTTPS"] = "on"
        else:
            environ.pop("HTTPS", None)
    if forwarded.host is not None:
        environ["HTTP_HOST"] = forwarded.host
    return environ


def _asgi(app: Callable[..., Any], trusted: TrustedProxies) -> Callable[..., Any]:
    async def proxied(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        await app(forwarded_scope(scope, trusted), receive, send)

    return proxied


def _apply_to_scope(scope: dict[str, Any], forwarded: _Forwarded) -> dict[str, Any]:
    if forwarded.client is not None:
        scope["client"] = (forwarded.client, 0)  # the proxy does not tell the client's port
    if forwarded.scheme is not None:
        websocket = scope["type"] == "websocket"
        secure = forwarded.scheme in ("https", "wss")
        scope["scheme"] = ("wss" if secure else "ws") if websocket else ("https" if secure else "http")
    if forwarded.host is not None:
        host = forwarded.host.encode("latin-1")
        scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"host"] + [(b"host", host)]
    return scope


def _wsgi(app: Callable[..., Any], trusted: TrustedProxies) -> Callable[..., Any]:
    def proxied(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return app(forwarded_environ(environ, trusted), start_response)

    return proxied
