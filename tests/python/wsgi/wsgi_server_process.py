"""A `python -m uring_granian --interface wsgi` server process for these tests (see ../asgi/server_process.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# The server-process helper lives with the ASGI tests, the keep-alive client with the leak tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "asgi"))
sys.path.insert(0, str(Path(__file__).parents[1] / "leaks"))

from server_process import ServerProcess  # noqa: E402

HERE = Path(__file__).parent

# A wsgiref.validate warning raised inside the server turns into an app exception, hence a 500 the test sees.
VALIDATOR_WARNINGS_ARE_ERRORS = {"PYTHONWARNINGS": "error::wsgiref.validate.WSGIWarning"}


class WsgiServerProcess(ServerProcess):
    def __init__(self, app: str, *options: str, markers: Path | None = None) -> None:
        env = dict(VALIDATOR_WARNINGS_ARE_ERRORS)
        if markers is not None:
            env["WSGI_TEST_MARKERS"] = str(markers)
        super().__init__(app, HERE, "--interface", "wsgi", *options, env=env)
        self.markers = markers
