"""Load the application from an import string ("module:attr", "module:attr.sub", or "module" for module:app)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from .errors import AppImportError

__all__ = ["AppImportError", "load_app", "split_target"]

DEFAULT_ATTRIBUTE = "app"  # Granian's default when the target names only a module


def split_target(target: str) -> tuple[str, str]:
    """'pkg.mod:attr.sub' -> ('pkg.mod', 'attr.sub'); a bare module means its `app` attribute."""
    module_name, _, attribute = target.strip().partition(":")
    if not module_name or (target.count(":") and not attribute) or target.count(":") > 1:
        raise AppImportError(f'invalid application "{target}": expected "module:attribute"')
    return module_name, attribute or DEFAULT_ATTRIBUTE


def load_app(target: str, factory: bool = False) -> Callable[..., Any]:
    """Import the target and return the application (calling it first when `factory`); AppImportError if not."""
    module_name, attribute = split_target(target)
    _add_working_directory_to_path()
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # a module's import-time SystemExit counts as a failed import too
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppImportError(f'could not import "{target}": {_describe(exc)}') from exc

    obj: Any = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            owner = module_name if obj is module else f"{module_name}:{attribute.rsplit('.', 1)[0]}"
            raise AppImportError(f'could not import "{target}": "{owner}" has no attribute "{part}"') from None

    if factory:
        if not callable(obj):
            raise AppImportError(f'factory "{target}" is not callable (it is {type(obj).__name__})')
        try:
            obj = obj()
        except Exception as exc:
            raise AppImportError(f'factory "{target}" failed: {_describe(exc)}') from exc
    if not callable(obj):
        raise AppImportError(f'application "{target}" is not callable (it is {type(obj).__name__})')
    return obj  # type: ignore[no-any-return]


def _add_working_directory_to_path() -> None:
    # Like uvicorn and granian: the app module usually sits in the directory the server was started from, which
    # a console-script entry point (unlike `python -m`) does not put on sys.path.
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _describe(exc: BaseException) -> str:
    """'ModuleNotFoundError: No module named 'x'' on one line."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
