"""Fixtures of the wheel test: the wheel installed into a fresh venv once for the session, and certificates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# The server-process helper lives with the ASGI tests, the certificates with the HTTPS app tests.
sys.path.insert(0, str(HERE.parent / "asgi"))
sys.path.insert(0, str(HERE.parent / "tls_app"))

from tls_pki import Pki  # noqa: E402
from wheel_install import Install, install_into_fresh_venv  # noqa: E402


@pytest.fixture(scope="session")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    return install_into_fresh_venv(tmp_path_factory.mktemp("wheel") / "venv")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("wheel-pki"))
