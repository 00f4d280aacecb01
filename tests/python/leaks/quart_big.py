"""The seed's Quart case: /big returns a 4 MB string (tests/python/frameworks/quart_app.py, on PYTHONPATH)."""

from __future__ import annotations

from bridge_stats import with_bridge_stats
from quart_app import app as quart_app

app = with_bridge_stats(quart_app)
