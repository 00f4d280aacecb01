"""The raw ASGI WebSocket echo app every server runs in perf/bench's ws-echo scenarios (no framework, so the app's
own cost is the same few lines on every server): accept, then send every message back as it came, text as text
and bytes as bytes, until the client disconnects.

Plain HTTP requests get a 200 "ws echo" so perf/bench can tell that the server is up.
"""

READY_BODY = b"ws echo"


async def _lifespan(receive, send):
    # Startup and shutdown have nothing to do; the only other lifespan message is startup.
    while (await receive())["type"] != "lifespan.shutdown":
        await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})


async def _echo(receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return  # websocket.disconnect
        text = message.get("text")
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})


async def app(scope, receive, send):
    if scope["type"] == "websocket":
        await _echo(receive, send)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)
    else:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(READY_BODY))]})
        await send({"type": "http.response.body", "body": READY_BODY})
