"""Finding the wheel scripts/wheel built for this interpreter and installing it with pip alone into a fresh venv
(a module of its own: several test folders have a conftest, so tests import helpers by this name)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[2]
TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"
WHEEL_DIR = Path(os.environ.get("URING_GRANIAN_WHEEL_DIR", REPO / "dist"))


@dataclass
class Install:
    venv: Path
    wheel: Path

    @property
    def site_packages(self) -> Path:
        python = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.venv / "lib" / python / "site-packages"

    @property
    def console_script(self) -> Path:
        return self.venv / "bin" / "uring-granian"


def find_wheel() -> Path:
    """The manylinux wheel for this interpreter. Missing: a skip on a developer's machine (scripts/wheel was not
    run), a failure in CI, where scripts/test builds it first."""
    wheels = sorted(WHEEL_DIR.glob(f"uring_granian-*-{TAG}-{TAG}-manylinux*_x86_64.whl"))
    if len(wheels) == 1:
        return wheels[0]
    found = ", ".join(w.name for w in wheels) or "none"
    reason = f"want one {TAG} manylinux wheel in {WHEEL_DIR} (found {found}): run scripts/wheel --out {WHEEL_DIR}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without what could let the fresh venv see the worktree's package or other libraries."""
    env = {k: v for k, v in os.environ.items() if k not in {"LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH"}}
    return {**env, "PYTHONNOUSERSITE": "1", **extra}


def install_into_fresh_venv(venv: Path) -> Install:
    """python -m venv, then pip install --no-deps --no-index of the wheel: pip alone, nothing else from anywhere."""
    wheel = find_wheel()
    # The base interpreter of this venv (sys._base_executable): a venv made from a venv's python is plain.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, env=clean_env())
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        env=clean_env(),
    )
    return Install(venv, wheel)
