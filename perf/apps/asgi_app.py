"""The ASGI app every ASGI server runs in perf/bench, so the app's own cost is identical across servers.

Routes: /  hello; /json  a 10 KiB JSON document; /64k  a 64 KiB body; /4mb  a 4 MB body; /stream  16 chunks of 4 KiB without
Content-Length; /echo  the request body echoed (POST); /static/NAME  a file from $PERF_STATIC_ROOT, sent with
the http.response.pathsend extension when the server offers it, else read and sent as one body.
"""

import json
import os

HELLO = b"Hello, World!"
# 10 KiB of JSON, encoded once: the benchmark measures the server, not json.dumps.
JSON_BODY = json.dumps({"items": [{"id": index, "name": f"item-{index:05d}"} for index in range(320)]})
JSON_BODY = JSON_BODY.encode()[: 10 * 1024 - 2].rsplit(b"},", 1)[0] + b"}]}"
SIXTY_FOUR_KIB = b"z" * (64 * 1024)
FOUR_MB = b"x" * (4 * 1000 * 1000)
STREAM_CHUNK = b"y" * 4096
STREAM_CHUNKS = 16
STATIC_ROOT = os.environ.get("PERF_STATIC_ROOT", "")


def _start(status, content_type, length=None):
    headers = [(b"content-type", content_type)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers}


async def _send_body(send, content_type, body):
    await send(_start(200, content_type, len(body)))
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive):
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_static(scope, send, name):
    path = os.path.join(STATIC_ROOT, name)
    if not STATIC_ROOT or "/" in name or not os.path.isfile(path):
        await _send_body(send, b"text/plain", b"not found")
        return
    if "http.response.pathsend" in scope.get("extensions", {}):
        await send(_start(200, b"application/octet-stream", os.path.getsize(path)))
        await send({"type": "http.response.pathsend", "path": path})
        return
    with open(path, "rb") as static_file:
        await _send_body(send, b"application/octet-stream", static_file.read())


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/json":
        await _send_body(send, b"application/json", JSON_BODY)
    elif path == "/64k":
        await _send_body(send, b"application/octet-stream", SIXTY_FOUR_KIB)
    elif path == "/4mb":
        await _send_body(send, b"application/octet-stream", FOUR_MB)
    elif path == "/stream":
        await send(_start(200, b"application/octet-stream"))
        for _ in range(STREAM_CHUNKS):
            await send({"type": "http.response.body", "body": STREAM_CHUNK, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/echo":
        await _send_body(send, b"application/octet-stream", await _read_body(receive))
    elif path.startswith("/static/"):
        await _send_static(scope, send, path[len("/static/"):])
    else:
        await _send_body(send, b"text/plain", HELLO)
