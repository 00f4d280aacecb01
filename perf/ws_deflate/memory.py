"""Server memory per idle permessage-deflate session, for choosing the deflate defaults (WebSocketConfig).

Starts `uring-serve --ws-echo` with each set of options, warms it up, then opens SESSIONS sessions with the
`websockets` client (which offers permessage-deflate with client_max_window_bits), sends MESSAGES compressible
text messages of MESSAGE_BYTES on each (so both zlib windows fill), leaves them idle, and reports the growth
of the server's RSS per session. Usage: .venv/bin/python perf/ws_deflate/memory.py [URING_SERVE]
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

from websockets.asyncio.client import connect

SESSIONS = 300
MESSAGES = 8
MESSAGE_BYTES = 16 * 1024
VARIANTS = {
    "no permessage-deflate": ["--no-ws-per-message-deflate"],
    "default (server_no_context_takeover, windows 12)": [],
    "server_no_context_takeover, windows 15": ["--ws-deflate-window-bits", "15"],
    "context takeover both ways, windows 12": ["--ws-deflate-context-takeover"],
    "context takeover both ways, windows 15": ["--ws-deflate-context-takeover", "--ws-deflate-window-bits", "15"],
    "no context takeover either way": ["--ws-deflate-no-context-takeover"],
}


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def text(index: int) -> str:
    # JSON-ish and varied, so it compresses as real traffic does (about 4:1), not to nothing.
    records = [{"id": index * 1000 + i, "name": f"user-{(index * 7919 + i * 104729) % 100003}", "score": i * 37 % 101}
               for i in range(MESSAGE_BYTES // 40)]
    return json.dumps(records)[:MESSAGE_BYTES]


async def measure(url: str, pid: int) -> float:
    for _ in range(20):  # warm-up: the receive ring and the allocator settle
        async with connect(url) as ws:
            for index in range(MESSAGES):
                await ws.send(text(index))
                await ws.recv()
    before = rss_bytes(pid)
    clients = []
    try:
        for session in range(SESSIONS):
            ws = await connect(url, open_timeout=30, max_size=None)
            for index in range(MESSAGES):
                await ws.send(text(session + index))
                await ws.recv()
            clients.append(ws)
        await asyncio.sleep(0.5)
        negotiated = clients[0].response.headers.get("Sec-WebSocket-Extensions", "(none)")
        print(f"    negotiated: {negotiated}")
        return (rss_bytes(pid) - before) / SESSIONS
    finally:
        await asyncio.gather(*(ws.close() for ws in clients))


def main() -> None:
    uring_serve = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("URING_SERVE", "build/uring-serve")
    print(f"{SESSIONS} idle sessions, each after {MESSAGES} text messages of {MESSAGE_BYTES} bytes echoed")
    for name, options in VARIANTS.items():
        port = free_port()
        server = subprocess.Popen([uring_serve, "--port", str(port), "--threads", "1", "--ws-echo", *options],
                                  stderr=subprocess.PIPE, text=True)
        try:
            for line in server.stderr:
                if "listening on" in line:
                    break
            per_session = asyncio.run(measure(f"ws://127.0.0.1:{port}/", server.pid))
            print(f"| {name} | `{' '.join(options) or '(none)'}` | {per_session / 1024:.1f} KiB |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
