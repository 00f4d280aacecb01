"""Options from URING_GRANIAN_* variables: every option has one, the command line wins, bad values are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from uring_granian.cli import env_name, main, parse_config
from uring_granian.config import options
from uring_granian.constants import Interfaces

from test_config import NON_DEFAULT_ARGS  # one non-default command-line value per option


def _env_text(name: str) -> str:
    """The NON_DEFAULT_ARGS value of an option, spelled as its variable would be."""
    args, expected = NON_DEFAULT_ARGS[name]
    if isinstance(expected, bool):
        return "yes" if expected else "no"
    if isinstance(expected, tuple):
        return ":".join(expected)  # several values, separated as in PATH
    return str(expected) if isinstance(expected, str) else args[-1]  # args[-1]: numbers as typed (octal too)


TLS = ["--ssl-certificate", "c.pem", "--ssl-keyfile", "k.pem"]
# What an option needs beside itself, left on the command line.
NEEDS: dict[str, list[str]] = {
    "uds_permissions": ["--uds", "/tmp/ug.sock"],
    "forwarded_allow_ips": ["--proxy-headers"],
    "ssl_certificate": ["--ssl-keyfile", "k.pem"],
    "ssl_keyfile": ["--ssl-certificate", "c.pem"],
    "ssl_keyfile_password": TLS,
    "ssl_protocol_min": TLS,
    "ssl_ca": TLS,
    "ssl_client_verify": [*TLS, "--ssl-ca", "ca.pem"],
    "ssl_crl": [*TLS, "--ssl-ca", "ca.pem"],
    "reload_paths": ["--reload"],
    "workers_max_requests_jitter": ["--workers-max-requests", "1000"],
    "static_path_route": ["--static-path-mount", "/tmp"],
    "static_path_dir_to_file": ["--static-path-mount", "/"],
}


def test_variable_names_follow_the_long_option_names() -> None:
    assert env_name("port") == "URING_GRANIAN_PORT"
    assert env_name("threads") == "URING_GRANIAN_RUNTIME_THREADS"  # Granian's spelling is the long name
    assert env_name("http1_header_read_timeout") == "URING_GRANIAN_HTTP1_HEADER_READ_TIMEOUT"
    assert env_name("io_backend") == "URING_GRANIAN_IO_BACKEND"  # the variable the engine reads too
    assert env_name("app") == "URING_GRANIAN_APP"


@pytest.mark.parametrize("name", sorted(set(NON_DEFAULT_ARGS) - {"log_config"}))  # log_config: a file, see below
def test_every_option_comes_from_its_variable(name: str) -> None:
    _, expected = NON_DEFAULT_ARGS[name]
    argv = [] if name == "app" else [*NEEDS.get(name, []), "m:app"]
    config = parse_config(argv, environ={env_name(name): _env_text(name)})
    assert getattr(config, name) == expected
    assert type(getattr(config, name)) is type(expected)


def test_a_file_option_from_its_variable(tmp_path: Path) -> None:
    log_config = tmp_path / "log.json"
    log_config.write_text('{"version": 1}')
    assert parse_config(["m:app"], environ={"URING_GRANIAN_LOG_CONFIG": str(log_config)}).log_config == str(log_config)


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("true", True), ("YES", True), ("0", False), ("False", False), ("no", False)]
)
def test_booleans_accept_the_usual_words(text: str, value: bool) -> None:
    assert parse_config(["m:app"], environ={"URING_GRANIAN_ACCESS_LOG": text}).access_log is value


def test_command_line_wins_over_the_environment_which_wins_over_defaults() -> None:
    environ = {"URING_GRANIAN_PORT": "9001", "URING_GRANIAN_INTERFACE": "wsgi", "URING_GRANIAN_LIFESPAN": "no"}
    config = parse_config(["--port", "9002", "--lifespan", "m:app"], environ=environ)
    assert (config.port, config.interface, config.lifespan) == (9002, Interfaces.WSGI, True)
    assert parse_config(["m:app"], environ={}).port == 8000
    assert parse_config(["other:app"], environ={"URING_GRANIAN_APP": "m:app"}).app == "other:app"


BAD_ENVIRONMENT = [
    ({"URING_GRANIAN_PORT": "x"}, "URING_GRANIAN_PORT: invalid int value: 'x'"),
    ({"URING_GRANIAN_PORT": "70000"}, "URING_GRANIAN_PORT: --port must be at most 65535 (got 70000)"),
    ({"URING_GRANIAN_ACCESS_LOG": "maybe"}, "URING_GRANIAN_ACCESS_LOG: expected one of 1/true/yes/0/false/no"),
    ({"URING_GRANIAN_INTERFACE": "rsgi"}, "URING_GRANIAN_INTERFACE: invalid choice 'rsgi' (choose from asgi, wsgi)"),
    ({"URING_GRANIAN_RESPAWN_INTERVAL": "soon"}, "URING_GRANIAN_RESPAWN_INTERVAL: invalid float value: 'soon'"),
    ({"URING_GRANIAN_UDS_PERMISSIONS": "600"}, "URING_GRANIAN_UDS_PERMISSIONS: --uds-permissions needs --uds"),
]


@pytest.mark.parametrize(("environ", "message"), BAD_ENVIRONMENT)
def test_a_bad_value_is_one_line_naming_the_variable(
    environ: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc_info:
        main(["m:app"])
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert message in err


def test_a_missing_app_names_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config([], environ={})
    assert "the following arguments are required: APP (or URING_GRANIAN_APP)" in capsys.readouterr().err


def test_help_shows_every_variable() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--help"], check=False, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())  # argparse wraps help lines
    for f, opt in options():
        assert f"[env: {env_name(f.name)}]" in flat, f.name


def test_the_environment_does_not_reach_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    # serve() is the Python API: its keyword arguments are the whole configuration (as Granian's embedded server).
    from uring_granian import serve
    from uring_granian.importer import AppImportError

    monkeypatch.setenv("URING_GRANIAN_BACKLOG", "0")  # a bad value: from the CLI it would stop everything
    with pytest.raises(AppImportError, match="no_such_module_for_serve"):
        serve("no_such_module_for_serve:app")
