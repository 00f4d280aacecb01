"""WebSockets over HTTPS (wss): the scope's scheme and its tls extension next to the denial extension."""

from __future__ import annotations

import json

import pytest
from tls_pki import Pki
from websockets.sync.client import connect
from ws_server import running_server


def test_wss_scope_has_the_wss_scheme_and_the_tls_extension(tmp_path_factory: pytest.TempPathFactory) -> None:
    pki = Pki(tmp_path_factory.mktemp("wss-pki"))
    with running_server("ws_apps:app", *pki.server_options()) as server:
        base = f"wss://127.0.0.1:{server.port}"
        with connect(f"{base}/scope", ssl=pki.client_context(), proxy=None, compression=None, legacy=True) as ws:
            scope = json.loads(ws.recv(timeout=10))
        with connect(f"{base}/echo", ssl=pki.client_context(), proxy=None, compression=None, legacy=True) as ws:
            payload = bytes(range(256)) * 1024  # 256 KiB: several TLS records each way
            ws.send(payload)
            assert ws.recv(timeout=10) == payload
        assert scope["scheme"] == "wss"
        assert set(scope["extensions"]) == {"websocket.http.response", "tls"}
        assert scope["extensions"]["tls"]["tls_version"] in (0x0303, 0x0304)
        assert scope["extensions"]["tls"]["server_cert"].startswith("-----BEGIN CERTIFICATE-----")
