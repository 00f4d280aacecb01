"""`--access-log`: one line per request on the `uring_granian.access` logger, in `--access-log-fmt`.

The format is a %-style string over Granian's atoms: addr, time, dt_ms, status, path, query_string, method,
scheme, protocol, plus header{name} for any request header (e.g. `%(header{user-agent})s`); and response_size,
the bytes of response body sent (Granian has no such atom: the name is ours). Atoms are computed only when the
format asks for them. Lines are written on the worker's loop (or WSGI) thread through
`logging`; the reactor threads never see them, so a slow log sink cannot stall the network path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from .logging import ACCESS_LOGGER, DEFAULT_ACCESS_LOG_FMT
from .request_observer import ObservedRequest

__all__ = ["AccessLog"]


class AccessLog:
    """An observer (request_observer.observe_requests) that logs each finished request."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt or DEFAULT_ACCESS_LOG_FMT
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def __call__(self, request: ObservedRequest) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            # A mapping as the only argument: logging formats the message as fmt % atoms, lazily.
            self.logger.info(self.fmt, _Atoms(request))


class _Atoms(Mapping[str, Any]):
    """The atoms of one request, computed on lookup."""

    def __init__(self, request: ObservedRequest) -> None:
        self._request = request

    def __getitem__(self, key: str) -> Any:
        request = self._request
        if key == "status":
            return request.status
        if key == "dt_ms":
            return request.seconds * 1000.0
        if key == "response_size":
            return request.size
        if key == "time":
            return time.strftime("%Y-%m-%d %H:%M:%S %z")
        if key.startswith("header{") and key.endswith("}"):
            return _header(request, key[len("header{") : -1].lower())
        view = _WSGI_ATOMS if request.interface == "wsgi" else _ASGI_ATOMS
        if key not in view:
            raise KeyError(key)
        return view[key](request.request)

    def __iter__(self) -> Any:
        return iter((*_ASGI_ATOMS, "status", "dt_ms", "time", "response_size"))

    def __len__(self) -> int:
        return len(_ASGI_ATOMS) + 4


def _header(request: ObservedRequest, name: str) -> str:
    if request.interface != "wsgi":
        wanted = name.encode("latin-1")
        for header_name, value in request.request.get("headers", ()):
            if header_name == wanted:
                return bytes(value).decode("latin-1")
        return "-"
    return str(request.request.get("HTTP_" + name.upper().replace("-", "_"), "-"))


def _asgi_addr(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


_ASGI_ATOMS: dict[str, Callable[[Any], Any]] = {
    "addr": _asgi_addr,
    "path": lambda scope: scope.get("root_path", "") + scope["path"],
    "query_string": lambda scope: bytes(scope.get("query_string", b"")).decode("latin-1"),
    "method": lambda scope: scope["method"],
    "scheme": lambda scope: scope.get("scheme", "http"),
    "protocol": lambda scope: "HTTP/" + scope.get("http_version", "1.1"),
}

_WSGI_ATOMS: dict[str, Callable[[Any], Any]] = {
    "addr": lambda environ: environ.get("REMOTE_ADDR") or "-",
    "path": lambda environ: environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
    "query_string": lambda environ: environ.get("QUERY_STRING", ""),
    "method": lambda environ: environ["REQUEST_METHOD"],
    "scheme": lambda environ: environ.get("wsgi.url_scheme", "http"),
    "protocol": lambda environ: environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
}
