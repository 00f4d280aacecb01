"""Config declared once: every option round-trips from the command line, bad values are one-line usage errors."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from uring_granian import Config, ConfigError
from uring_granian.cli import build_parser, main, parse_config
from uring_granian.config import help_groups, options
from uring_granian.constants import IO_BACKEND_ENV, HTTPModes, Interfaces, IoBackends, LogLevels, Loops, RuntimeModes
from uring_granian.http import EngineSettings

TLS_FILES = ("--ssl-certificate", "c.pem", "--ssl-keyfile", "k.pem")  # what every other --ssl-* option needs

# One non-default command-line value per option, and the Config value it must become. A new Config field without
# an entry here fails test_every_option_has_a_round_trip_case.
NON_DEFAULT_ARGS: dict[str, tuple[list[str], object]] = {
    "app": (["pkg.mod:attr.sub"], "pkg.mod:attr.sub"),
    "interface": (["--interface", "wsgi"], Interfaces.WSGI),
    "host": (["--host", "0.0.0.0"], "0.0.0.0"),
    "port": (["--port", "9123"], 9123),
    "uds": (["--uds", "/tmp/ug.sock"], "/tmp/ug.sock"),
    "uds_permissions": (["--uds", "/tmp/ug.sock", "--uds-permissions", "660"], 0o660),
    "fd": (["--fd", "3"], 3),
    "backlog": (["--backlog", "77"], 77),
    "workers": (["--workers", "3"], 3),
    "threads": (["--runtime-threads", "4"], 4),
    "runtime_mode": (["--runtime-mode", "st"], RuntimeModes.ST),
    "blocking_threads": (["--blocking-threads", "5"], 5),
    "pin_threads": (["--pin-threads"], True),
    "tune_allocator": (["--no-tune-allocator"], False),
    "loop": (["--loop", "asyncio"], Loops.ASYNCIO),
    "backpressure": (["--backpressure", "64"], 64),
    "lifespan": (["--no-lifespan"], False),
    "factory": (["--factory"], True),
    "url_path_prefix": (["--url-path-prefix", "/api"], "/api"),
    "log_level": (["--log-level", "debug"], LogLevels.DEBUG),
    "log_config": (["--log-config", "LOG_CONFIG"], "LOG_CONFIG"),
    "access_log": (["--access-log"], True),
    "access_log_fmt": (["--access-log-fmt", "%(addr)s %(status)d"], "%(addr)s %(status)d"),
    "proxy_headers": (["--proxy-headers"], True),
    "forwarded_allow_ips": (["--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8,::1"], "10.0.0.0/8,::1"),
    "http1_keep_alive": (["--no-http1-keep-alive"], False),
    "http1_header_read_timeout": (["--http1-header-read-timeout", "2500"], 2500),
    "http1_max_request_line": (["--http1-max-request-line", "4096"], 4096),
    "http1_max_headers_size": (["--http1-max-headers-size", "8192"], 8192),
    "http1_max_headers": (["--http1-max-headers", "50"], 50),
    "http1_max_body_size": (["--http1-max-body-size", "0"], 0),
    "http": (["--http", "2"], HTTPModes.HTTP2),
    "http2_initial_connection_window_size": (["--http2-initial-connection-window-size", "131072"], 131072),
    "http2_initial_stream_window_size": (["--http2-initial-stream-window-size", "65535"], 65535),
    "http2_keep_alive_interval": (["--http2-keep-alive-interval", "15000"], 15000),
    "http2_keep_alive_timeout": (["--http2-keep-alive-timeout", "5"], 5),
    "http2_max_concurrent_streams": (["--http2-max-concurrent-streams", "50"], 50),
    "http2_max_frame_size": (["--http2-max-frame-size", "32768"], 32768),
    "http2_max_headers_size": (["--http2-max-headers-size", "65536"], 65536),
    "http2_max_send_buffer_size": (["--http2-max-send-buffer-size", "131072"], 131072),
    "http2_adaptive_window": (["--http2-adaptive-window"], True),
    "ws": (["--no-ws"], False),
    "ws_max_size": (["--ws-max-size", "65536"], 65536),
    "ws_per_message_deflate": (["--no-ws-per-message-deflate"], False),
    "ws_ping_interval": (["--ws-ping-interval", "2.5"], 2.5),
    "ws_ping_timeout": (["--ws-ping-timeout", "0"], 0.0),
    "ssl_certificate": ([*TLS_FILES], "c.pem"),
    "ssl_keyfile": ([*TLS_FILES], "k.pem"),
    "ssl_keyfile_password": ([*TLS_FILES, "--ssl-keyfile-password", "s3cret"], "s3cret"),
    "ssl_protocol_min": ([*TLS_FILES, "--ssl-protocol-min", "tls1.3"], "tls1.3"),
    "ssl_ca": ([*TLS_FILES, "--ssl-ca", "ca.pem"], "ca.pem"),
    "ssl_client_verify": ([*TLS_FILES, "--ssl-ca", "ca.pem", "--ssl-client-verify"], True),
    "ssl_crl": ([*TLS_FILES, "--ssl-ca", "ca.pem", "--ssl-crl", "crl.pem"], "crl.pem"),
    "respawn_failed_workers": (["--respawn-failed-workers"], True),
    "workers_kill_timeout": (["--workers-kill-timeout", "7"], 7),
    "graceful_timeout": (["--graceful-timeout", "3"], 3),
    "respawn_interval": (["--respawn-interval", "0.5"], 0.5),
    "workers_lifetime": (["--workers-lifetime", "600"], 600),
    "workers_max_rss": (["--workers-max-rss", "512"], 512),
    "pid_file": (["--pid-file", "/run/ug.pid"], "/run/ug.pid"),
    "process_name": (["--process-name", "myapp"], "myapp"),
    "reload": (["--reload"], True),
    "reload_paths": (["--reload", "--reload-paths", "/tmp", "--reload-paths", "/"], ("/tmp", "/")),
    # Each static case pairs its own route and mount, so that all cases at once still pair by position.
    "static_path_route": (["--static-path-route", "/assets", "--static-path-mount", "/tmp"], ("/assets",)),
    "static_path_mount": (["--static-path-route", "/m", "--static-path-mount", "/tmp"], ("/tmp",)),
    "static_path_dir_to_file": (
        ["--static-path-route", "/d", "--static-path-mount", "/", "--static-path-dir-to-file", "index.html"],
        "index.html",
    ),
    "static_path_expires": (["--static-path-expires", "60"], 60),
    "metrics": (["--metrics"], True),
    "metrics_address": (["--metrics-address", "::1"], "::1"),
    "metrics_port": (["--metrics-port", "9464"], 9464),
    "io_backend": (["--io-backend", "epoll"], IoBackends.EPOLL),
    "working_dir": (["--working-dir", "/tmp"], "/tmp"),
    "env_files": (["--env-files", os.__file__], (os.__file__,)),  # any file that exists
    "log": (["--no-log"], False),
    "workers_max_requests": (["--workers-max-requests", "1000"], 1000),
    "workers_max_requests_jitter": (["--workers-max-requests", "1000", "--workers-max-requests-jitter", "50"], 50),
}


@pytest.fixture
def log_config_file(tmp_path: Path) -> str:
    path = tmp_path / "log.json"
    path.write_text(json.dumps({"version": 1}))
    return str(path)


def _substitute(args: list[str], log_config_file: str) -> list[str]:
    return [log_config_file if a == "LOG_CONFIG" else a for a in args]


def test_every_option_has_a_round_trip_case() -> None:
    assert {f.name for f, _ in options()} == set(NON_DEFAULT_ARGS)


def test_every_option_is_in_one_help_section() -> None:
    grouped = [name for names in help_groups().values() for name in names]
    assert sorted(grouped) == sorted(f.name for f, _ in options() if f.name != "app")


@pytest.mark.parametrize("name", sorted(NON_DEFAULT_ARGS))
def test_option_round_trips_from_the_command_line(name: str, log_config_file: str) -> None:
    args, expected = NON_DEFAULT_ARGS[name]
    args = _substitute(args, log_config_file)
    if expected == "LOG_CONFIG":
        expected = log_config_file
    argv = args if name == "app" else [*args, "m:app"]
    config = parse_config(argv)
    default = dataclasses.fields(Config)[[f.name for f in dataclasses.fields(Config)].index(name)].default
    assert expected != default, "the case must use a non-default value"
    assert getattr(config, name) == expected
    assert type(getattr(config, name)) is type(expected)


def test_all_options_at_once_round_trip_through_to_dict(log_config_file: str) -> None:
    argv: list[str] = []
    for name, (args, _) in NON_DEFAULT_ARGS.items():
        # runtime_mode st refuses the --runtime-threads 4 and --interface wsgi given here (test below)
        if name not in ("app", "uds", "runtime_mode"):
            argv += _substitute(args, log_config_file)
    config = parse_config([*argv, "pkg.mod:attr.sub"])
    assert Config.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.port == 9123 and config.uds == "/tmp/ug.sock" and config.threads == 4


def test_runtime_mode_st_round_trips_through_to_dict() -> None:
    # Left out of the all-at-once case above; this is how a worker process receives it.
    config = parse_config(["--runtime-mode", "st", "m:app"])
    restored = Config.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    assert type(restored.runtime_mode) is RuntimeModes and restored.runtime_mode == RuntimeModes.ST


def test_defaults_match_granian_and_the_contract() -> None:
    config = parse_config(["m:app"], environ={})  # scripts/test sets URING_GRANIAN_IO_BACKEND
    assert config == Config(app="m:app")
    assert (config.interface, config.host, config.port, config.workers, config.threads) == (
        "asgi",
        "127.0.0.1",
        8000,
        1,
        1,
    )
    assert config.lifespan is True and config.http1_keep_alive is True and config.access_log is False
    assert config.http1_header_read_timeout == 30000 and config.graceful_timeout == 30


def test_the_engine_defaults_agree_with_the_package_defaults() -> None:
    # Where uring-serve and the package share an option, one default: the engine's own (engine/include/engine/
    # config.hpp, stated in uring-serve --help) is the package's.
    repo = Path(__file__).resolve().parents[3]
    binary = Path(os.environ.get("URING_SERVE", repo / "build" / "uring-serve"))
    if not binary.is_absolute():
        binary = repo / binary
    if not binary.exists():
        pytest.skip(f"{binary} does not exist: run scripts/build (or set URING_SERVE)")
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, check=True, timeout=30).stdout

    def engine_default(option: str) -> float:
        line = next(line for line in usage.splitlines() if line.strip().startswith(option + " "))
        return float(line.split("(default ")[1].split(")")[0].split(";")[0])

    defaults = Config()
    assert engine_default("--header-read-timeout") * 1000 == defaults.http1_header_read_timeout
    assert engine_default("--ws-ping-interval") == defaults.ws_ping_interval


def test_threads_alias_and_granian_spelling_are_the_same_option() -> None:
    assert parse_config(["--threads", "3", "m:app"]).threads == 3
    assert parse_config(["--runtime-threads", "2", "m:app"]).threads == 2


def test_engine_settings_carry_the_tls_options() -> None:
    assert EngineSettings.from_config(parse_config(["m:app"])).tls is None
    config = parse_config(
        [*TLS_FILES, "--ssl-ca", "ca.pem", "--ssl-client-verify", "m:app"]
    )
    tls = EngineSettings.from_config(config).tls
    assert tls is not None
    assert (tls.certificate_file, tls.key_file, tls.key_password, tls.protocol_min) == ("c.pem", "k.pem", "", "tls1.2")
    assert (tls.ca_file, tls.client_verify, tls.crl_file) == ("ca.pem", True, "")
    assert config.bind_description == "https://127.0.0.1:8000"


def test_tls_protocol_of_python_callers_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"--ssl-protocol-min: invalid choice 'tls1.1' \(choose from tls1.2, tls1"):
        Config.from_options(app="m:app", ssl_certificate="c", ssl_keyfile="k", ssl_protocol_min="tls1.1").validate()


def test_engine_settings_carry_the_http2_options() -> None:
    defaults = EngineSettings.from_config(parse_config(["m:app"])).http2
    # Granian's defaults.
    assert defaults.http == "auto"
    assert defaults.max_concurrent_streams == 200
    assert (defaults.initial_connection_window_size, defaults.initial_stream_window_size) == (1 << 20, 1 << 20)
    assert (defaults.keep_alive_interval_ms, defaults.keep_alive_timeout_ms) == (0, 20_000)
    assert (defaults.max_frame_size, defaults.max_headers_size, defaults.max_send_buffer_size) == (
        16384,
        16 << 20,
        400 << 10,
    )
    config = parse_config(
        ["--http", "1", "--http2-keep-alive-interval", "1500", "--http2-keep-alive-timeout", "3", "m:app"]
    )
    settings = EngineSettings.from_config(config).http2
    assert (settings.http, settings.keep_alive_interval_ms, settings.keep_alive_timeout_ms) == ("1", 1500, 3000)
    with pytest.raises(ConfigError, match="--http2-max-frame-size must be at least 16384"):
        Config.from_options(app="m:app", http2_max_frame_size=1000).validate()


def test_engine_settings_carry_the_http1_options() -> None:
    config = parse_config(
        ["--http1-max-headers", "7", "--http1-max-body-size", "10", "--http1-header-read-timeout", "900", "m:app"]
    )
    settings = EngineSettings.from_config(config)
    assert settings.http1.max_header_count == 7
    assert settings.http1.max_body_bytes == 10
    assert settings.timeouts.header_read_ms == 900
    assert settings.timeouts.graceful_shutdown_ms == 30_000
    assert settings.listen.port == 8000 and settings.listen.uds_path == "" and settings.listen.inherited_fds == ()
    inherited = EngineSettings.from_config(parse_config(["--uds", "/tmp/s", "--fd", "5", "m:app"])).listen
    assert inherited.inherited_fds == (5,) and inherited.uds_path == ""  # nothing to bind: the socket is given


def test_engine_settings_carry_the_static_mounts_in_pairs() -> None:
    assert EngineSettings.from_config(parse_config(["m:app"])).static_files is None
    alone = EngineSettings.from_config(parse_config(["--static-path-mount", "/tmp", "m:app"])).static_files
    assert alone is not None
    assert (alone.mounts, alone.dir_to_file, alone.expires_seconds) == ((("/static", "/tmp"),), "", 86400)
    argv = ["--static-path-route", "/s", "--static-path-mount", "/tmp", "--static-path-route", "/s/deeper"]
    argv += ["--static-path-mount", "/", "--static-path-dir-to-file", "index.html", "m:app"]
    paired = EngineSettings.from_config(parse_config(argv)).static_files
    assert paired is not None
    assert (paired.mounts, paired.dir_to_file) == ((("/s", "/tmp"), ("/s/deeper", "/")), "index.html")
    # serve(static_path_mount="dir"): one directory as a plain string is one mount.
    config = Config.from_options(app="m:app", static_path_mount="/tmp").validate()
    assert config.static_mounts() == (("/static", "/tmp"),)


BAD_ARGS = [
    (["--port", "x", "m:app"], "argument --port: invalid int value: 'x'"),
    (["--port", "70000", "m:app"], "--port must be at most 65535 (got 70000)"),
    (["--workers", "0", "m:app"], "--workers must be at least 1 (got 0)"),
    (["--threads", "-1", "m:app"], "--runtime-threads must be at least 1 (got -1)"),
    (["--interface", "rsgi", "m:app"], "argument --interface: invalid choice: 'rsgi'"),
    (["--runtime-mode", "st", "--runtime-threads", "2", "m:app"], "--runtime-threads must be 1 (got 2)"),
    (["--runtime-mode", "st", "--interface", "wsgi", "m:app"], "--runtime-mode st needs an event loop"),
    (["--runtime-mode", "xt", "m:app"], "argument --runtime-mode: invalid choice: 'xt'"),
    (["--loop", "trio", "m:app"], "argument --loop: invalid choice: 'trio'"),
    (["--uds", "/tmp/s", "--uds-permissions", "999", "m:app"], "argument --uds-permissions: invalid octal value"),
    (["--uds-permissions", "600", "m:app"], "--uds-permissions needs --uds"),
    (["--url-path-prefix", "api", "m:app"], "--url-path-prefix must start with '/'"),
    (["--log-config", "/nonexistent/log.json", "m:app"], "--log-config: no such file: /nonexistent/log.json"),
    (["--http1-max-headers", "0", "m:app"], "--http1-max-headers must be at least 1 (got 0)"),
    (["--workers-kill-timeout", "0", "m:app"], "--workers-kill-timeout must be at least 1 (got 0)"),
    (["--bogus", "m:app"], "unrecognized arguments: --bogus"),
    (["--work", "2", "m:app"], "unrecognized arguments: --work"),  # no abbreviations: they break when options grow
    ([], "the following arguments are required: APP"),
    (["--port", "0", "--workers", "2", "m:app"], "--port 0 (any free port) cannot be shared by several workers"),
    (["--port", "0", "--metrics", "m:app"], "--port 0 (any free port) cannot be used with --metrics"),
    (["--reload-paths", "/tmp", "m:app"], "--reload-paths needs --reload"),
    (["--reload", "--reload-paths", "/no/such/dir", "m:app"], "--reload-paths: not a directory: /no/such/dir"),
    (["--respawn-interval", "-1", "m:app"], "--respawn-interval must be at least 0 (got -1.0)"),
    (["--respawn-interval", "soon", "m:app"], "argument --respawn-interval: invalid float value: 'soon'"),
    (["--workers-max-rss", "0", "m:app"], "--workers-max-rss must be at least 1 (got 0)"),
    (["--ssl-keyfile", "k.pem", "m:app"], "--ssl-keyfile needs --ssl-certificate"),
    (["--ssl-certificate", "c.pem", "m:app"], "--ssl-certificate needs --ssl-keyfile"),
    (["--ssl-ca", "ca.pem", "m:app"], "--ssl-ca needs --ssl-certificate"),
    (["--ssl-keyfile-password", "pw", "m:app"], "--ssl-keyfile-password needs --ssl-certificate"),
    (["--ssl-protocol-min", "tls1.3", "m:app"], "--ssl-protocol-min needs --ssl-certificate"),
    (["--ssl-protocol-min", "ssl3", "m:app"], "argument --ssl-protocol-min: invalid choice: 'ssl3'"),
    ([*TLS_FILES, "--ssl-client-verify", "m:app"],
     "--ssl-client-verify needs --ssl-ca"),
    ([*TLS_FILES, "--ssl-crl", "crl.pem", "m:app"],
     "--ssl-crl needs --ssl-ca"),
    (["--ssl-certificate", "", "--ssl-keyfile", "k.pem", "m:app"], "--ssl-certificate must not be empty"),
    (["--static-path-route", "/a", "m:app"], "--static-path-route needs --static-path-mount"),
    (["--static-path-mount", "/tmp", "--static-path-mount", "/", "m:app"],
     "--static-path-route and --static-path-mount pair by position: got 0 route(s) for 2 mount(s)"),
    (["--static-path-route", "/a", "--static-path-route", "/b", "--static-path-mount", "/tmp", "m:app"],
     "--static-path-route and --static-path-mount pair by position: got 2 route(s) for 1 mount(s)"),
    (["--static-path-route", "/a", "--static-path-route", "/a/", "--static-path-mount", "/tmp", "--static-path-mount",
      "/", "m:app"], "--static-path-route: '/a' is given more than once"),
    (["--static-path-mount", "/tmp", "--static-path-dir-to-file", "../index.html", "m:app"],
     "--static-path-dir-to-file must be a plain file name (got '../index.html')"),
    (["--static-path-mount", "/tmp", "--static-path-dir-to-file", "..", "m:app"],
     "--static-path-dir-to-file must be a plain file name (got '..')"),
    (["--static-path-dir-to-file", "index.html", "m:app"], "--static-path-dir-to-file needs --static-path-mount"),
    (["--proxy-headers", "--forwarded-allow-ips", "10.0.0.1,proxy.local", "m:app"],
     "--forwarded-allow-ips: 'proxy.local' is not an IP address or network"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_ARGS)
def test_bad_values_exit_2_with_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        main(argv)
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("uring-granian: error: ")
    assert message in err


def test_bad_option_exit_code_and_line_from_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--port", "nope", "m:app"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "uring-granian: error: argument --port: invalid int value: 'nope' (see uring-granian --help)"
    ]


def test_help_lists_every_flag_and_exits_0() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--help"], check=False, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    for action in build_parser()._actions:
        for flag in action.option_strings:
            assert flag in proc.stdout
    for granian_name in (
        "--runtime-threads",
        "--blocking-threads",
        "--no-lifespan",
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        "--http1-header-read-timeout",
        "--access-log-fmt",
    ):
        assert granian_name in proc.stdout


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--version"], check=False, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0
    assert proc.stdout.strip().startswith("uring-granian 0.")


def test_import_is_cheap_and_does_not_load_the_server() -> None:
    code = (
        "import sys, uring_granian\n"
        "assert not any(m in sys.modules for m in ('uring_granian.server', 'uring_granian._native',"
        " 'uring_granian.supervisors', 'uring_granian.worker', 'asyncio')), sorted(m for m in sys.modules if 'uring' in m)\n"
        "print(uring_granian.__version__, uring_granian.Config.__name__, callable(uring_granian.serve))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1:] == ["Config", "True"]


def test_from_options_rejects_unknown_names_and_bad_choices() -> None:
    with pytest.raises(ConfigError, match="unknown option 'prot'"):
        Config.from_options(app="m:app", prot=80)
    with pytest.raises(ConfigError, match=r"--interface: invalid choice 'rsgi' \(choose from asgi, wsgi\)"):
        Config.from_options(app="m:app", interface="rsgi")
    with pytest.raises(ConfigError, match="an application is required"):
        Config.from_options(port=80)


def test_validate_checks_types_of_python_callers() -> None:
    with pytest.raises(ConfigError, match="--port must be an integer, not '80'"):
        Config.from_options(app="m:app", port="80").validate()
    with pytest.raises(ConfigError, match="--access-log must be true or false, not 1"):
        Config.from_options(app="m:app", access_log=1).validate()
    with pytest.raises(ConfigError, match="--workers must be an integer, not True"):
        Config.from_options(app="m:app", workers=True).validate()


def test_app_object_with_several_workers_is_a_clear_error() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    assert Config.from_options(app=app).validate().app is app
    with pytest.raises(ConfigError, match=r"workers > 1 needs the application as an import string \(module:attr\)"):
        Config.from_options(app=app, workers=2).validate()


def test_serve_validates_before_starting_anything() -> None:
    from uring_granian import serve

    with pytest.raises(ConfigError, match="--backlog must be at least 1"):
        serve("m:app", backlog=0)
    with pytest.raises(ConfigError, match="unknown option 'wokers'"):
        serve("m:app", wokers=2)


@pytest.mark.parametrize(
    ("argv", "environment", "expected"),
    [
        ([], None, "auto"),
        ([], "epoll", "epoll"),
        ([], " io_uring ", "io_uring"),
        (["--io-backend", "io_uring"], "epoll", "io_uring"),  # the command line wins over the environment
        (["--io-backend", "epoll"], None, "epoll"),
    ],
)
def test_io_backend_precedence(
    argv: list[str], environment: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if environment is None:
        monkeypatch.delenv(IO_BACKEND_ENV, raising=False)
    else:
        monkeypatch.setenv(IO_BACKEND_ENV, environment)
    assert EngineSettings.from_config(parse_config([*argv, "m:app"])).io_backend == expected


def test_bad_io_backend_in_the_environment_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(IO_BACKEND_ENV, "kqueue")
    with pytest.raises(SystemExit) as exc_info:
        parse_config(["m:app"])
    assert exc_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and IO_BACKEND_ENV in err[0] and "'kqueue'" in err[0], err
    with pytest.raises(ConfigError, match=IO_BACKEND_ENV):
        Config(app="m:app").validate()
