"""The blocking entry point, `serve(app, **options)`: one worker in this process, or a supervisor of several."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .config import Config
from .constants import EXIT_OK
from .importer import load_app
from .logging import configure_logging, logger
from .process import pid_file, set_process_name, socket_activation_fds

__all__ = ["run", "serve"]


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
    prepare_process(config)
    configure_logging(config)
    config = with_socket_activation(config)
    if config.process_name is not None:
        set_process_name(config.process_name)
    with pid_file(config.pid_file):
        if config.supervised:
            from .supervisors import Supervisor

            return Supervisor(config).run()
        app = load_app(config.app, config.factory) if isinstance(config.app, str) else config.app
        from .server import run_worker

        return run_worker(config, app)


def prepare_process(config: Config) -> None:
    """--working-dir, then --env-files: before anything imports the app. Workers inherit both (their supervisor's
    working directory and environment)."""
    if config.working_dir is not None:
        os.chdir(config.working_dir)
    if config.env_files:
        from dotenv import load_dotenv

        for path in config.env_files:
            # override=False: a variable already set (by the shell, or by an earlier file) wins, as
            # URING_GRANIAN_* variables lose to the command line.
            load_dotenv(path, override=False)


def with_socket_activation(config: Config) -> Config:
    """systemd socket activation (LISTEN_FDS/LISTEN_PID): serve on the first socket systemd passed, as --fd 3 would.
    An explicit --fd wins; the variables are consumed either way so no child process mistakes them for its own."""
    fds = socket_activation_fds()
    if not fds or config.fd is not None:
        return config
    if len(fds) > 1:
        logger.warning("Socket activation passed %d sockets; serving on fd %d only", len(fds), fds[0])
    logger.info("Socket activation: serving on fd %d", fds[0])
    return config.replace(fd=fds[0])
