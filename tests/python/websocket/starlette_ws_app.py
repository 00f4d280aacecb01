"""A Starlette app with WebSocket routes: an echo endpoint choosing a subprotocol, and one that refuses."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="json" if "json" in websocket.scope["subprotocols"] else None)
    await websocket.send_json({"room": websocket.path_params["room"], "query": websocket.query_params.get("q")})
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                if message["text"] == "close":
                    await websocket.close(code=4000, reason="asked to")
                    return
                await websocket.send_text(message["text"].upper())
            else:
                await websocket.send_bytes(message["bytes"][::-1])
    except WebSocketDisconnect:
        return


async def refuse(websocket: WebSocket) -> None:
    await websocket.close(code=1008)


app = Starlette(routes=[WebSocketRoute("/rooms/{room}", echo), WebSocketRoute("/refuse", refuse)])
