"""Log setup: default line format with the process id, --log-level, --log-config (JSON dictConfig)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from uring_granian import Config, ConfigError
from uring_granian.logging import ACCESS_LOGGER, LOGGER, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    loggers = [logging.getLogger(LOGGER), logging.getLogger(ACCESS_LOGGER)]
    saved = [(lg.level, lg.handlers[:], lg.propagate) for lg in loggers]
    yield
    for lg, (level, handlers, propagate) in zip(loggers, saved, strict=True):
        lg.setLevel(level)
        lg.handlers[:] = handlers
        lg.propagate = propagate


def test_default_line_has_time_pid_and_level() -> None:
    code = (
        "from uring_granian import Config\n"
        "from uring_granian.logging import configure_logging, logger\n"
        "configure_logging(Config(app='m:app'))\n"
        "logger.info('hello %s', 'there'); logger.debug('hidden at info')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    match = re.fullmatch(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\] \[(\d+)\] \[INFO\] hello there", lines[0])
    assert match is not None, lines[0]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("debug", logging.DEBUG), ("warn", logging.WARNING), ("error", logging.ERROR), ("notset", logging.NOTSET)],
)
def test_log_level(level: str, expected: int) -> None:
    configure_logging(Config.from_options(app="m:app", log_level=level))
    assert logging.getLogger(LOGGER).level == expected
    assert logging.getLogger(ACCESS_LOGGER).level == logging.INFO
    assert logging.getLogger(ACCESS_LOGGER).propagate is False


def test_log_config_file_is_applied_on_top_of_the_defaults(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    dict_config = {
        "version": 1,
        "formatters": {"bare": {"format": "%(name)s|%(levelname)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log_file), "formatter": "bare"}},
        "loggers": {LOGGER: {"handlers": ["file"], "level": "WARNING", "propagate": False}},
    }
    config_path = tmp_path / "log.json"
    config_path.write_text(json.dumps(dict_config))
    configure_logging(Config.from_options(app="m:app", log_config=str(config_path)).validate())
    logger = logging.getLogger(LOGGER)
    logger.info("filtered out")
    logger.warning("kept")
    logging.getLogger(f"{LOGGER}.worker").error("child logger")
    for handler in logger.handlers:
        handler.flush()
    assert log_file.read_text().splitlines() == [
        "uring_granian|WARNING|kept",
        "uring_granian.worker|ERROR|child logger",
    ]
    for handler in logger.handlers:
        handler.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"version": 1, "handlers": {"h": {"class": "no.such.Handler"}}}', "Unable to configure handler 'h'"),
    ],
)
def test_bad_log_config_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "log.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as exc_info:
        configure_logging(Config.from_options(app="m:app", log_config=str(path)))
    text = str(exc_info.value)
    assert text.startswith(f"--log-config {path}: ") and message in text and "\n" not in text


def test_cli_bad_log_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    path.write_text("{broken")
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--log-config", str(path), "m:app"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"uring-granian: error: --log-config {path}: not valid JSON")
