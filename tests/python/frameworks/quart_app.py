"""A Quart app: plain, JSON, upload echo and a large string body."""

from __future__ import annotations

from quart import Quart, jsonify, request

app = Quart(__name__)

FOUR_MB = "q" * (4 * 1024 * 1024)


@app.route("/")
async def hello() -> str:
    return "Hello, Quart!"


@app.route("/json/<name>")
async def json_route(name: str):  # type: ignore[no-untyped-def]
    return jsonify(name=name, q=request.args.get("q"))


@app.route("/upload", methods=["POST"])
async def upload() -> bytes:
    return await request.get_data()


@app.route("/big")
async def big() -> str:
    return FOUR_MB
