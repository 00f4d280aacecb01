"""What the io_uring-refused suites share (tests/python/engine and tests/python/ops): the launcher, the line a
fallback logs, and the HTTPS and WebSocket checks they both make.

The launcher (tests/tools/no_io_uring.c, built as build/no-io-uring) is found like uring-serve: URING_NO_IO_URING if
set, else next to the uring-serve under test (URING_SERVE, so the ASan build in CI uses its own). A launcher that
was not built fails the test: only a kernel that cannot install seccomp filters at all (the launcher's exit status
77) skips it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme
from websockets.asyncio.client import connect

REPO_ROOT = Path(__file__).resolve().parents[3]


def _from_repo(path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


URING_SERVE = _from_repo(os.environ.get("URING_SERVE", "build/uring-serve"))
NO_IO_URING = _from_repo(os.environ.get("URING_NO_IO_URING", URING_SERVE.parent / "no-io-uring"))

SECCOMP_UNAVAILABLE = 77  # the launcher's exit status when this kernel has no seccomp filters
# What the engine logs when the probe met the launcher's EPERM (engine/core/ring.cpp names seccomp after it).
FALLBACK_LINE = "[INFO] uring_granian: I/O backend: epoll (io_uring unavailable: io_uring_setup was refused (EPERM)"


@functools.cache
def _trial_run() -> subprocess.CompletedProcess[str]:
    """`no-io-uring true`, once per test process: can the filter be installed here at all?"""
    return subprocess.run([str(NO_IO_URING), "true"], capture_output=True, text=True, timeout=30)


def no_io_uring_prefix() -> list[str]:
    """The argv prefix that runs a command with io_uring refused (EPERM)."""
    if not NO_IO_URING.exists():
        pytest.fail(f"{NO_IO_URING} does not exist: run scripts/build (or set URING_NO_IO_URING)")
    result = _trial_run()
    if result.returncode == SECCOMP_UNAVAILABLE:
        pytest.skip(f"seccomp filters are unavailable on this kernel: {result.stderr.strip()}")
    if result.returncode != 0:
        pytest.fail(f"{NO_IO_URING} true exited {result.returncode}: {result.stderr.strip()}")
    return [str(NO_IO_URING)]


def assert_fallback_line(line: str) -> None:
    assert line.startswith(FALLBACK_LINE), line
    assert "seccomp" in line, line


def write_certificate(ca: trustme.CA, directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 from `ca` and its key, as the files --ssl-certificate/--ssl-keyfile take."""
    issued = ca.issue_cert("127.0.0.1")
    certificate_file, key_file = directory / "server.pem", directory / "server-key.pem"
    issued.cert_chain_pems[0].write_to_path(certificate_file)
    issued.private_key_pem.write_to_path(key_file)
    return certificate_file, key_file


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def websocket_echo_close_code(url: str, *, context: ssl.SSLContext | None = None, size: int = 300_000) -> int | None:
    """One session against an echoing server: a text message, a binary one of `size` bytes (many reads and writes
    on both sides), each echoed intact, then a 1000 close; returns the close code the session ended with."""
    payload = os.urandom(size)

    async def run() -> int | None:
        async with connect(url, ssl=context, max_size=None) as ws:
            await ws.send("text over epoll")
            assert await ws.recv() == "text over epoll"
            await ws.send(payload)
            assert await ws.recv() == payload
            await ws.close(1000, "done")
        return ws.close_code

    return asyncio.run(run())
