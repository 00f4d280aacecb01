"""Fixtures for end-to-end tests of the standalone `uring-serve` binary (helpers in engine_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_server import Server, ServerPool


@pytest.fixture
def start_server() -> Iterator[ServerPool]:
    """start_server(*args, threads=1, uds=None, port=None, wrapper=()) -> Server, stopped at the end of the test."""
    pool = ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def module_server_factory() -> Iterator[ServerPool]:
    """Like start_server, but the servers live for the whole test module."""
    pool = ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def hello_server(module_server_factory) -> Server:
    """uring-serve without --root: every request gets 200 text/plain `Hello, World!`."""
    return module_server_factory()


@pytest.fixture(scope="module")
def echo_server(module_server_factory) -> Server:
    """uring-serve --echo: each request is answered with its body."""
    return module_server_factory("--echo")
