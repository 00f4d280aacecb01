"""--reload: the inotify watcher on its own, then a server that serves a rewritten module's new value."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import RunningServer, wait_until

from uring_granian.reloader import DEBOUNCE_S, Reloader, app_directories

pytestmark = pytest.mark.timeout(120)

VERSIONED_APP = '''
VERSION = {version!r}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = VERSION.encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({{"type": "http.response.start", "status": 200, "headers": headers}})
    await send({{"type": "http.response.body", "body": body}})
'''


def changes_after(reloader: Reloader, action: Callable[[], object], quiet: float = DEBOUNCE_S * 2) -> list[str]:
    """Runs `action`, then collects what the reloader reports once things are quiet ([] for nothing)."""
    action()
    deadline = time.monotonic() + quiet + 1.0
    while time.monotonic() < deadline:
        reloader.read_events()
        changed = reloader.take_change()
        if changed is not None:
            return changed
        time.sleep(0.02)
    return []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "deep.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    return tmp_path


def test_watcher_sees_py_changes_anywhere_in_the_tree(tree: Path) -> None:
    reloader = Reloader([str(tree)])
    try:
        assert reloader.watched_directories == 3  # root, pkg, pkg/sub; not __pycache__
        deep = tree / "pkg" / "sub" / "deep.py"
        assert changes_after(reloader, lambda: deep.write_text("x = 2\n")) == [str(deep)]
        # A directory created after the start is watched too, and a .py file already in it counts.
        new_dir = tree / "pkg" / "later"
        assert changes_after(reloader, lambda: new_dir.mkdir()) == []
        added = new_dir / "mod.py"
        assert changes_after(reloader, lambda: added.write_text("y = 1\n")) == [str(added)]
        # An editor's atomic save: write a temporary file, rename it over the module.
        temporary = tree / "pkg" / ".deep.py.tmp"

        def atomic_save() -> None:
            temporary.write_text("x = 3\n")
            os.replace(temporary, deep)

        assert changes_after(reloader, atomic_save) == [str(deep)]
        assert changes_after(reloader, lambda: deep.unlink()) == [str(deep)]
    finally:
        reloader.close()


def test_watcher_ignores_bytecode_editor_files_and_other_files(tree: Path) -> None:
    reloader = Reloader([str(tree)])
    try:
        pkg = tree / "pkg"

        def noise() -> None:
            (pkg / "__pycache__" / "deep.cpython-311.pyc").write_bytes(b"\0")
            (pkg / ".deep.py.swp").write_bytes(b"\0")  # vim
            (pkg / "deep.py~").write_text("")  # backup
            (pkg / ".#deep.py").write_text("")  # emacs lock
            (pkg / "4913").write_text("")  # vim's write test
            (pkg / "notes.txt").write_text("")
            (pkg / ".hidden").mkdir()
            (pkg / ".hidden" / "x.py").write_text("")

        assert changes_after(reloader, noise) == []
    finally:
        reloader.close()


def test_a_burst_of_writes_is_one_change(tree: Path) -> None:
    reloader = Reloader([str(tree)])
    try:

        def burst() -> None:
            for number in range(5):
                (tree / f"m{number}.py").write_text("")
                time.sleep(DEBOUNCE_S / 5)

        changed = changes_after(reloader, burst)
        assert sorted(changed) == sorted(str(tree / f"m{n}.py") for n in range(5))
        assert changes_after(reloader, lambda: None) == []
    finally:
        reloader.close()


def test_app_directory_is_found_without_importing_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (tmp_path / "single.py").write_text("raise SystemExit('imported!')\n")
    monkeypatch.chdir(tmp_path)
    assert app_directories("shop.web:app") == [str(tmp_path / "shop")]
    assert app_directories("single:app") == [str(tmp_path)]


def test_reload_serves_the_rewritten_module(launch: Callable[..., RunningServer], tmp_path: Path) -> None:
    app_dir = tmp_path / "site"
    app_dir.mkdir()
    module = app_dir / "versioned.py"
    module.write_text(VERSIONED_APP.format(version="first"))
    server = launch("--reload", app="versioned:app", cwd=app_dir, ready="Supervisor {pid} ready")
    assert f"Watching {app_dir} for changes" in server.log
    assert httpx.get(server.url("/"), timeout=10).text == "first"
    (first_worker,) = server.worker_pids()

    module.write_text(VERSIONED_APP.format(version="second, rewritten"))

    def served() -> str:
        try:
            return httpx.get(server.url("/"), timeout=10).text
        except httpx.TransportError:
            return ""  # this test is about the version served; failed requests are the lifecycle tests' subject

    wait_until(lambda: served() == "second, rewritten", 30, "the new version")
    # The new worker answers as soon as it listens; the old one then finishes its requests and exits.
    wait_until(lambda: first_worker not in server.worker_pids(), 20, "the old worker to stop")
    time.sleep(DEBOUNCE_S * 4)  # the new worker's bytecode cache write must not cause another reload
    assert server.log.count("; reloading") == 1, server.log

    # A broken edit keeps the running worker; the fix is picked up.
    module.write_text("this is not python\n")
    server.wait_for_log("failed to start")
    assert httpx.get(server.url("/"), timeout=10).text == "second, rewritten"
    module.write_text(VERSIONED_APP.format(version="third"))
    wait_until(lambda: served() == "third", 30, "the fixed version")
    assert server.stop() == 0
