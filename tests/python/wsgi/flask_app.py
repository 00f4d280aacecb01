"""A Flask app with the usual kinds of routes: text, JSON, form posts, streaming, errors and send_file."""

from __future__ import annotations

import os

from flask import Flask, Response, abort, jsonify, request, send_file, stream_with_context

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "flask index"


@app.get("/items/<int:item_id>")
def item(item_id: int) -> Response:
    return jsonify(id=item_id, q=request.args.get("q"), script_root=request.script_root)


@app.post("/form")
def form() -> Response:
    return jsonify(name=request.form["name"], upload=len(request.files["upload"].read()))


@app.post("/json")
def echo_json() -> Response:
    return jsonify(received=request.get_json())


@app.get("/stream")
def stream() -> Response:
    def generate():
        for index in range(5):
            yield f"part {index}\n"

    return Response(stream_with_context(generate()), mimetype="text/plain")


@app.get("/missing")
def missing() -> str:
    abort(404)


@app.get("/file")
def file() -> Response:
    return send_file(os.environ["FRAMEWORK_TEST_FILE"], mimetype="application/octet-stream")
