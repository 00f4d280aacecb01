"""The blocking entry point, `serve(app, **options)`: one worker in this process, or a supervisor of several."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import Config, ConfigError
from .constants import EXIT_OK
from .importer import AppImportError, load_app
from .logging import configure_logging
from .supervisor import Supervisor, WorkerFailedError

__all__ = ["ONE_LINE_ERRORS", "run", "serve"]


def _startup_error_types() -> tuple[type[BaseException], ...]:
    # errors.py belongs to the bridge and imports nothing native; a missing one only means a partial checkout.
    try:
        from .errors import StartupError
    except ImportError:
        return ()
    return (StartupError,)


# Errors whose str() is the whole story: the CLI prints them as one line and exits 1.
ONE_LINE_ERRORS: tuple[type[BaseException], ...] = (
    AppImportError,
    ConfigError,
    WorkerFailedError,
    *_startup_error_types(),
)


def serve(app: str | Callable[..., Any], **options: Any) -> None:
    """Serve `app` (an ASGI/WSGI callable, or "module:attr") until SIGINT/SIGTERM; options are Config fields.

    Raises ConfigError for a bad option, AppImportError for an app that cannot be loaded, the bridge's
    StartupError when the server cannot start, and SystemExit with the status when the server stops with a failure.
    """
    config = Config.from_options(app=app, **options).validate()
    status = run(config)
    if status != EXIT_OK:
        raise SystemExit(status)


def run(config: Config) -> int:
    """Run a validated Config to the end; returns the exit status."""
    configure_logging(config)
    if config.workers > 1:
        return Supervisor(config).run()
    app = load_app(config.app, config.factory) if isinstance(config.app, str) else config.app
    from .server import run_worker

    return run_worker(config, app)
