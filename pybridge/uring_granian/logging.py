"""Log setup: the `uring_granian` logger (server events) and `uring_granian.access` (one line per request).

Defaults go to stderr (server) and stdout (access) with the process id in each line, so the lines of several workers
can be told apart. `--log-config FILE` applies a JSON dictConfig on top of the defaults.
"""

from __future__ import annotations

import json
import logging
import logging.config
from typing import Any

from .config import Config, ConfigError, flag_of
from .constants import LogLevels

__all__ = ["ACCESS_LOGGER", "DEFAULT_ACCESS_LOG_FMT", "LOGGER", "configure_logging", "logger"]

LOGGER = "uring_granian"
ACCESS_LOGGER = "uring_granian.access"
LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
# Granian's default access line; the atoms (addr, time, dt_ms, status, path, query_string, method, scheme,
# protocol, header{name}) are filled by whoever writes the access log.
DEFAULT_ACCESS_LOG_FMT = '[%(time)s] %(addr)s - "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3f'

_LEVELS = {
    LogLevels.CRITICAL: logging.CRITICAL,
    LogLevels.ERROR: logging.ERROR,
    LogLevels.WARNING: logging.WARNING,
    LogLevels.WARN: logging.WARNING,
    LogLevels.INFO: logging.INFO,
    LogLevels.DEBUG: logging.DEBUG,
    LogLevels.NOTSET: logging.NOTSET,
}

logger = logging.getLogger(LOGGER)


def default_dict_config(level: LogLevels) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "generic": {"format": LOG_FORMAT, "datefmt": DATE_FORMAT},
            "access": {"format": "%(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            LOGGER: {"handlers": ["console"], "level": _LEVELS[level], "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": logging.INFO, "propagate": False},
        },
    }


def silent_dict_config() -> dict[str, Any]:
    silent = {"handlers": ["null"], "level": logging.CRITICAL + 1, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"null": {"class": "logging.NullHandler"}},
        "loggers": {LOGGER: silent, ACCESS_LOGGER: dict(silent)},
    }


def configure_logging(config: Config) -> None:
    """Apply the defaults for config.log_level, then config.log_config if given. Bad file -> ConfigError.
    --no-log: the package's loggers and the engine write nothing (one-line startup errors still reach stderr: the
    CLI prints them)."""
    if not config.log:
        logging.config.dictConfig(silent_dict_config())
        # The engine's own lines (the I/O backend chosen, ...) go to stderr past Python's logging.
        from . import _native

        _native.set_engine_log_level(logging.CRITICAL)
        return
    logging.config.dictConfig(default_dict_config(config.log_level))
    if config.log_config is None:
        return
    user_config = _read_dict_config(config.log_config)
    user_config.setdefault("version", 1)
    user_config.setdefault("disable_existing_loggers", False)
    try:
        logging.config.dictConfig(user_config)
    except (ValueError, TypeError, AttributeError, ImportError) as exc:
        cause = " ".join(str(exc).split())
        raise ConfigError(f"{flag_of('log_config')} {config.log_config}: {cause}") from exc


def _read_dict_config(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as exc:
        raise ConfigError(f"{flag_of('log_config')} {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{flag_of('log_config')} {path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{flag_of('log_config')} {path}: expected a JSON object (a dictConfig)")
    return data
