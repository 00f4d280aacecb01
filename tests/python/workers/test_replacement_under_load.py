"""Worker replacement under steady load loses nothing: wrk -c64 through SIGHUP rolling restarts (keep-alive, and a
connection per request) and through --workers-lifetime, --workers-max-rss and --reload replacements sees no socket
error and no non-2xx response.

wrk is the strictest client for this: it reuses every connection at once (its next request is on the wire as the
previous response arrives), so a worker that closes a keep-alive connection under a request, or a closing listener
that resets its accept queue, shows up as a read error or a connect error. wrk prints "Socket errors: ..." and
"Non-2xx or 3xx responses: ..." only when they are not zero; the parse below insists on the summary line and on
the absence of both.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from worker_processes import RunningServer, wait_until

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/setup installs it)"),
]

CONNECTIONS = 64
SUMMARY = re.compile(r"^\s*(\d+) requests in [\d.]+\w+, [\d.]+\w+ read$", re.MULTILINE)


class Wrk:
    """wrk running until told to stop (SIGINT: wrk then prints its summary and exits 0)."""

    def __init__(self, url: str, *options: str) -> None:
        self.process = subprocess.Popen(
            ["wrk", "-t2", f"-c{CONNECTIONS}", "-d120s", "--timeout", "10s", *options, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self) -> tuple[int, str]:
        """Stops wrk; (requests, output) once the output has a summary and no error line."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, output
        summary = SUMMARY.search(output)
        assert summary is not None, f"no summary line in wrk's output:\n{output}"
        assert "Socket errors" not in output, output
        assert "Non-2xx" not in output, output
        return int(summary.group(1)), output


def replacements(server: RunningServer, text: str) -> int:
    return server.log.count(text)


# Keep-alive load races the closing of keep-alive connections; a new connection per request keeps the accept
# queues full, so a stopping worker's queue must pass to its replacement instead of being reset.
@pytest.mark.parametrize("wrk_options", [(), ("-H", "Connection: close")], ids=["keep-alive", "connection-close"])
def test_three_sighup_rolling_restarts_under_wrk_lose_nothing(
    start_server: Callable[..., RunningServer], wrk_options: tuple[str, ...]
) -> None:
    server = start_server("--workers", "2")
    first = server.worker_pids()
    wrk = Wrk(server.url("/"), *wrk_options)
    try:
        for done in range(1, 4):
            server.process.send_signal(signal.SIGHUP)
            wait_until(lambda n=done: replacements(server, "Rolling restart done") >= n, 60, f"rolling restart {done}")
    finally:
        requests, output = wrk.finish()
    after = server.worker_pids()
    assert len(after) == 2 and after.isdisjoint(first), (first, after)
    assert requests > 1000, output
    assert server.stop() == 0


def test_lifetime_replacement_under_wrk_loses_nothing(start_server: Callable[..., RunningServer]) -> None:
    server = start_server("--workers", "1", "--workers-lifetime", "2")
    wrk = Wrk(server.url("/"))
    try:
        # The supervisor replaces one worker at a time and waits for the old one's exit before it looks at ages
        # again: a third "reached its lifetime" means two replacements, drains included, are over.
        wait_until(lambda: replacements(server, "reached its lifetime") >= 3, 90, "two lifetime replacements")
    finally:
        requests, output = wrk.finish()
    assert requests > 1000, output
    assert server.stop() == 0


def test_max_rss_replacement_under_wrk_loses_nothing(start_server: Callable[..., RunningServer]) -> None:
    # A worker starts well under 150 MiB; /grow?200 (pid_app) keeps 200 MiB of touched memory, so the next
    # once-a-second sample finds it above the limit and the supervisor replaces it as it does for a lifetime.
    server = start_server("--workers", "1", "--workers-max-rss", "150")
    wrk = Wrk(server.url("/"))
    try:
        for done in (1, 2):
            before = server.worker_pids()
            assert httpx.get(server.url("/grow?200"), timeout=30).status_code == 200
            wait_until(lambda n=done: replacements(server, "ready, replacing pid") >= n, 60, f"max-rss replacement {done}")
            wait_until(lambda b=before: server.worker_pids().isdisjoint(b), 30, "the grown worker's exit")
    finally:
        requests, output = wrk.finish()
    assert replacements(server, "above --workers-max-rss 150 MiB") == 2, server.log
    assert requests > 1000, output
    assert server.stop() == 0


def test_reload_under_wrk_loses_nothing(start_server: Callable[..., RunningServer], tmp_path: Path) -> None:
    # A watched directory of its own, so the test writes no file in the source tree.
    watched = tmp_path / "watched"
    watched.mkdir()
    server = start_server("--reload", "--reload-paths", str(watched))
    wrk = Wrk(server.url("/"))
    try:
        for done in (1, 2):
            (watched / f"edit_{done}.py").write_text(f"VERSION = {done}\n")
            wait_until(lambda n=done: replacements(server, "ready, replacing pid") >= n, 60, f"reload {done}")
    finally:
        requests, output = wrk.finish()
    assert replacements(server, "Detected changes in") == 2, server.log
    assert requests > 1000, output
    assert server.stop() == 0
