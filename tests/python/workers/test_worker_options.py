"""Granian's --env-files, --working-dir and --log/--no-log, and --workers-max-requests(-jitter), on real servers."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import HERE, RequestLoop, RunningServer, assert_no_failed_request, wait_until

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("workers", ["1", "2"])  # in the process itself, and inherited by workers
def test_env_files_are_loaded_before_the_app_and_do_not_override(
    start_server: Callable[..., RunningServer], tmp_path: Path, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first.env", tmp_path / "second.env"
    first.write_text("# comment\nUG_FROM_FILE=first\nexport UG_QUOTED='a b'\nUG_ALREADY=file\n")
    second.write_text("UG_FROM_FILE=second\nUG_ONLY_SECOND=2\n")
    monkeypatch.setenv("UG_ALREADY", "environment")
    ready = "Listening at" if workers == "1" else "Supervisor {pid} ready"
    server = start_server("--workers", workers, "--env-files", str(first), "--env-files", str(second), ready=ready)

    def env(name: str) -> str:
        return httpx.get(server.url(f"/env?{name}"), timeout=10).text

    assert env("UG_FROM_FILE") == "first"  # a later file does not override an earlier one
    assert env("UG_QUOTED") == "a b"
    assert env("UG_ONLY_SECOND") == "2"
    assert env("UG_ALREADY") == "environment"  # the process's own environment wins
    assert server.stop() == 0


def test_working_dir_is_where_the_app_and_relative_env_files_are_found(
    start_server: Callable[..., RunningServer], tmp_path: Path
) -> None:
    (tmp_path / "app_dir").mkdir()
    (tmp_path / "app_dir" / "local.env").write_text("UG_WORKING_DIR_FILE=found\n")
    (tmp_path / "app_dir" / "pid_app.py").write_text((HERE / "pid_app.py").read_text())
    # Started where pid_app.py is not: only --working-dir lets the app (and local.env) be found.
    server = start_server(
        "--working-dir", str(tmp_path / "app_dir"), "--env-files", "local.env", cwd=tmp_path, ready="Listening at"
    )
    assert int(httpx.get(server.url("/"), timeout=10).text) == server.process.pid
    assert httpx.get(server.url("/env?UG_WORKING_DIR_FILE"), timeout=10).text == "found"
    assert server.stop() == 0


def test_no_log_writes_nothing_and_log_keeps_the_lines(start_server: Callable[..., RunningServer]) -> None:
    quiet = start_server("--no-log", "--access-log", ready=None)
    wait_until(lambda: _accepting(quiet.port), 30, "the --no-log server to accept")
    assert httpx.get(quiet.url("/"), timeout=10).status_code == 200
    assert quiet.stop() == 0
    assert quiet.log == "", quiet.log  # not even the engine's own line naming the I/O backend

    loud = start_server("--log", "--access-log", ready="Listening at")
    assert httpx.get(loud.url("/"), timeout=10).status_code == 200
    wait_until(lambda: '"GET / HTTP/1.1" 200' in loud.log, 10, "the access line")
    assert loud.stop() == 0


@pytest.mark.parametrize(
    ("app", "interface"), [("pid_app:app", "asgi"), ("pid_wsgi_app:app", "wsgi")], ids=["asgi", "wsgi"]
)
def test_workers_max_requests_replaces_workers_without_a_failed_request(
    start_server: Callable[..., RunningServer], app: str, interface: str
) -> None:
    quota, jitter = 40, 10
    server = start_server(
        "--interface", interface, "--workers-max-requests", str(quota), "--workers-max-requests-jitter", str(jitter),
        app=app,
    )
    first = server.worker_pids()
    loops = [RequestLoop(server, keep_alive=True), RequestLoop(server, keep_alive=False)]
    for loop in loops:
        loop.start()
    try:
        wait_until(lambda: server.log.count("requests (--workers-max-requests)") >= 3, 90, "three replacements")
    finally:
        for loop in loops:
            loop.halt.set()
        for loop in loops:
            loop.join(30)
    assert_no_failed_request(loops, server.markers, "max-requests replacements")
    served = Counter(pid for loop in loops for pid in loop.pids_seen)
    replaced = [pid for pid in served if pid in first]
    assert replaced and served[replaced[0]] >= quota, served  # the quota is a lower bound
    assert server.worker_pids().isdisjoint(first)
    assert server.stop() == 0


def test_files_the_engine_serves_count_too(start_server: Callable[..., RunningServer], tmp_path: Path) -> None:
    # Static files never reach the app: only the engine's counter sees them, and they are requests served.
    (tmp_path / "a.txt").write_text("static")
    server = start_server("--workers-max-requests", "5", "--static-path-mount", str(tmp_path))
    first = server.worker_pids()
    with httpx.Client(timeout=10) as client:
        for _ in range(8):
            assert client.get(server.url("/static/a.txt")).text == "static"
    wait_until(lambda: server.worker_pids().isdisjoint(first), 30, "the replacement of the first worker")
    assert "requests (--workers-max-requests)" in server.log
    assert server.stop() == 0


BAD = [
    (["--workers-max-requests-jitter", "5"], "--workers-max-requests-jitter needs --workers-max-requests"),
    (["--workers-max-requests", "0"], "--workers-max-requests must be at least 1 (got 0)"),
    (["--working-dir", "/no/such/dir"], "--working-dir: not a directory: /no/such/dir"),
    (["--env-files", "/no/such/file.env"], "--env-files: no such file: /no/such/file.env"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_values_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from uring_granian.cli import main

    with pytest.raises(SystemExit) as exc_info:
        main([*argv, "pid_app:app"])
    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("args", "environment", "tuned"),
    [
        ((), {}, True),
        (("--no-tune-allocator",), {}, False),
        # A setting of the user's own wins over the tuned one.
        ((), {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=1048576"}, False),
    ],
)
def test_tune_allocator_keeps_large_buffers_in_the_heap(
    start_server: Callable[..., RunningServer],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    environment: dict[str, str],
    tuned: bool,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    server = start_server("--workers", "2", *args, app="allocator_app:app")
    mmapped = int(httpx.get(server.url("/"), timeout=10).text)
    if tuned:
        assert mmapped == 0
    else:
        assert mmapped >= 24 << 20
