"""The leak test's apps, each returning a 4 MB body at /big, with /__bridge_stats."""

from __future__ import annotations

from bridge_stats_wsgi import with_bridge_stats
from wsgi_apps import VALIDATED

raw = with_bridge_stats(VALIDATED["/big"])


def flask_factory():  # type: ignore[no-untyped-def]
    from flask import Flask

    flask_app = Flask(__name__)

    @flask_app.get("/big")
    def big() -> str:
        return "f" * (4 * 1024 * 1024)

    return with_bridge_stats(flask_app)


def django_factory():  # type: ignore[no-untyped-def]
    import django_wsgi_app

    return with_bridge_stats(django_wsgi_app.app)
