from __future__ import annotations

import sys
from pathlib import Path

# The server-process helper lives with the ASGI tests, the test certificates with the HTTPS app tests, the raw
# frame client (ws_wire) with the engine tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "asgi"))
sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
sys.path.insert(0, str(Path(__file__).parents[1] / "tls_app"))
