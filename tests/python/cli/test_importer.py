"""load_app: import strings, factories, the working directory on sys.path, and one-line errors."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from uring_granian.importer import AppImportError, load_app, split_target

_counter = itertools.count()


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """Writes a uniquely named module into a fresh working directory (not on sys.path) and returns a writer."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])

    def write(source: str) -> str:
        name = f"ug_importer_case_{next(_counter)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return name

    return write


APP_SOURCE = """
    async def app(scope, receive, send):
        pass

    class Holder:
        class inner:
            app = app

    def make():
        return app

    def broken_factory():
        raise ValueError("no database")

    number = 42
"""


def test_module_colon_attribute(module) -> None:
    name = module(APP_SOURCE)
    app = load_app(f"{name}:app")
    assert app.__name__ == "app"
    assert sys.modules[name].app is app


def test_dotted_attribute_and_bare_module(module) -> None:
    name = module(APP_SOURCE)
    assert load_app(f"{name}:Holder.inner.app") is sys.modules[name].app
    assert load_app(name) is sys.modules[name].app  # "module" means "module:app", as in Granian


def test_factory_is_called(module) -> None:
    name = module(APP_SOURCE)
    assert load_app(f"{name}:make", factory=True) is sys.modules[name].app
    with pytest.raises(AppImportError) as exc_info:
        load_app(f"{name}:broken_factory", factory=True)
    assert str(exc_info.value) == f'factory "{name}:broken_factory" failed: ValueError: no database'


def test_working_directory_is_added_to_sys_path(module, tmp_path: Path) -> None:
    name = module(APP_SOURCE)
    assert str(tmp_path) not in sys.path
    load_app(f"{name}:app")
    assert sys.path[0] == str(tmp_path)


def test_missing_module() -> None:
    with pytest.raises(AppImportError) as exc_info:
        load_app("ug_no_such_module:app")
    assert str(exc_info.value) == (
        "could not import \"ug_no_such_module:app\": ModuleNotFoundError: No module named 'ug_no_such_module'"
    )


def test_missing_attribute_names_the_owner(module) -> None:
    name = module(APP_SOURCE)
    with pytest.raises(AppImportError) as exc_info:
        load_app(f"{name}:nope")
    assert str(exc_info.value) == f'could not import "{name}:nope": "{name}" has no attribute "nope"'
    with pytest.raises(AppImportError) as exc_info:
        load_app(f"{name}:Holder.inner.nope")
    assert (
        str(exc_info.value)
        == f'could not import "{name}:Holder.inner.nope": "{name}:Holder.inner" has no attribute "nope"'
    )


def test_error_inside_the_module_keeps_its_cause(module) -> None:
    name = module("import ug_dependency_that_is_missing\n")
    with pytest.raises(
        AppImportError,
        match=f"could not import \"{name}:app\": ModuleNotFoundError: No module named 'ug_dependency_that_is_missing'",
    ):
        load_app(f"{name}:app")
    name = module("def broken(:\n")
    with pytest.raises(AppImportError, match=f'could not import "{name}:app": SyntaxError: '):
        load_app(f"{name}:app")
    name = module("raise SystemExit(3)\n")
    with pytest.raises(AppImportError, match=f'could not import "{name}:app": SystemExit: 3'):
        load_app(f"{name}:app")


def test_not_callable(module) -> None:
    name = module(APP_SOURCE)
    with pytest.raises(AppImportError, match=f'application "{name}:number" is not callable \\(it is int\\)'):
        load_app(f"{name}:number")
    with pytest.raises(AppImportError, match=f'factory "{name}:number" is not callable'):
        load_app(f"{name}:number", factory=True)


@pytest.mark.parametrize("target", ["", ":app", "mod:", "a:b:c"])
def test_malformed_targets(target: str) -> None:
    with pytest.raises(AppImportError, match='invalid application ".*": expected "module:attribute"'):
        split_target(target)


def test_cli_bad_app_path_exits_1_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uring_granian", "--port", "0", "ug_cli_missing_module:app"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    expected = (
        'uring-granian: error: could not import "ug_cli_missing_module:app": '
        "ModuleNotFoundError: No module named 'ug_cli_missing_module'"
    )
    assert proc.stderr.splitlines() == [expected]


def test_cli_finds_the_app_in_the_working_directory_through_the_console_script_path(tmp_path: Path) -> None:
    # A console script (unlike `python -m`) does not put the working directory on sys.path; the importer must.
    (tmp_path / "ug_cwd_app.py").write_text("raise RuntimeError('imported from the working directory')\n")
    code = "import sys; sys.path = [p for p in sys.path if p not in ('', '.')]; from uring_granian.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "ug_cwd_app:app"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        'uring-granian: error: could not import "ug_cwd_app:app": RuntimeError: imported from the working directory'
    ]
