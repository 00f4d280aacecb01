"""A Starlette app: plain, JSON, path parameters, streaming, upload echo and a FileResponse (pathsend)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, Starlette!")


async def item(request: Request) -> Response:
    return JSONResponse({"name": request.path_params["name"], "q": request.query_params.get("q")})


async def stream(request: Request) -> Response:
    async def parts():
        for index in range(5):
            yield f"part{index};"

    return StreamingResponse(parts(), media_type="text/plain")


async def upload(request: Request) -> Response:
    body = await request.body()
    return Response(body, media_type="application/octet-stream")


async def file(request: Request) -> Response:
    return FileResponse(os.environ["FRAMEWORK_TEST_FILE"])


app = Starlette(
    routes=[
        Route("/", hello),
        Route("/items/{name}", item),
        Route("/stream", stream),
        Route("/upload", upload, methods=["POST"]),
        Route("/file", file),
    ]
)
