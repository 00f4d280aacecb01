"""The seed's Django case: /big returns a 4 MB string (tests/python/frameworks/django_app.py, on PYTHONPATH)."""

from __future__ import annotations

from bridge_stats import with_bridge_stats
from django_app import application

app = with_bridge_stats(application)
