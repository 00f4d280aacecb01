"""WebSockets over HTTPS (wss): the scope's scheme and its tls extension next to the denial extension."""

from __future__ import annotations

import asyncio
import json

import pytest
from tls_pki import Pki
from websockets.asyncio.client import connect
from ws_server import running_server


def test_wss_scope_has_the_wss_scheme_and_the_tls_extension(tmp_path_factory: pytest.TempPathFactory) -> None:
    pki = Pki(tmp_path_factory.mktemp("wss-pki"))
    with running_server("ws_apps:app", *pki.server_options()) as server:
        base = f"wss://127.0.0.1:{server.port}"

        # The asyncio client: websockets 17.4's sync client, over TLS, now and then never sees a handshake
        # response that was sent (4 times in 1,000 against websockets' own server as well; never this one).
        async def main() -> dict[str, object]:
            options = {"ssl": pki.client_context(), "proxy": None, "compression": None, "open_timeout": 10}
            async with connect(f"{base}/scope", **options) as ws:
                scope = json.loads(await asyncio.wait_for(ws.recv(), 10))
            async with connect(f"{base}/echo", max_size=None, **options) as ws:
                payload = bytes(range(256)) * 1024  # 256 KiB: several TLS records each way
                await ws.send(payload)
                assert await asyncio.wait_for(ws.recv(), 10) == payload
            return scope

        scope = asyncio.run(main())
        assert scope["scheme"] == "wss"
        assert set(scope["extensions"]) == {"websocket.http.response", "tls"}
        assert scope["extensions"]["tls"]["tls_version"] in (0x0303, 0x0304)
        assert scope["extensions"]["tls"]["server_cert"].startswith("-----BEGIN CERTIFICATE-----")
