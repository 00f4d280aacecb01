"""SIGTERM under steady keep-alive load loses nothing: every response a client receives is complete and 2xx, and
once the listening sockets are closed a new connection is refused at once, not accepted and left hanging.

The supervisor closes its copies of the slot sockets as the stop begins, and each worker's drain accepts what was
queued on its socket, then closes it: from then on the kernel refuses new connections, while requests already
running (a slow one here keeps a worker busy for seconds) finish. Before, the supervisor held the sockets until the
last worker had exited, so connections kept queueing for seconds into sockets nobody accepted from, and were reset
at the end: "accepted, then dropped unanswered", what the clients below count as `dropped`.

The clients are perf/benchkit/stopload.py's (also `perf/bench replace --mode sigterm`): raw sockets, so that a
response cut short is told apart from a connection closed before any byte of its response.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_wire import HttpReader
from worker_processes import RunningServer, wait_until

sys.path.insert(0, str(Path(__file__).parents[3] / "perf"))
from benchkit import stopload  # noqa: E402

pytest.importorskip("uring_granian.server", reason="the bridge (server.py and the native module) is not built")

pytestmark = pytest.mark.timeout(120)

CLIENTS = 8
SLOW_SECONDS = 4.0  # the in-flight request that keeps a worker (and the server) alive during the drain


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def slow_request(port: int, result: dict[str, object]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(get(f"/slow?{SLOW_SECONDS}"))
        response = HttpReader(sock).read_response()
        result["finished_at"] = time.monotonic()
        result["status"] = response.status
        result["complete"] = len(response.body) == int(response.header("Content-Length") or -1)


def test_sigterm_under_keep_alive_load_answers_completely_and_then_refuses(
    start_server: Callable[..., RunningServer],
) -> None:
    server = start_server("--workers", "2")
    slow: dict[str, object] = {}
    slow_thread = threading.Thread(target=slow_request, args=(server.port, slow), daemon=True)
    slow_thread.start()
    wait_until(lambda: any(server.markers.glob("slow-*")), 10, "the slow request to reach the app")
    clients = [stopload.KeepAliveClient("127.0.0.1", server.port) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    wait_until(lambda: sum(c.outcomes["ok"] for c in clients) > 500, 30, "500 responses before the stop")
    stopped_at = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    for client in clients:
        client.join(SLOW_SECONDS + 20)
    slow_thread.join(30)
    assert server.process.wait(30) == 0, server.log

    outcomes = stopload.total(clients)
    print(f"outcomes: {dict(outcomes)}")
    # No response cut short, no non-2xx, no connection left hanging, and (below) none accepted then dropped.
    assert [kind for kind in stopload.LOSSES if outcomes[kind] and kind != "dropped"] == [], [
        example for c in clients for example in c.examples
    ]
    assert slow == {"finished_at": slow["finished_at"], "status": 200, "complete": True}, slow
    # Every client ended on a refused connect, and while the slow request was still running: the listeners closed
    # as the drain began, not when the last worker exited.
    refused = [c.refused_at for c in clients]
    assert all(at is not None for at in refused), dict(outcomes)
    last_refused = max(at for at in refused if at is not None)
    assert last_refused < float(slow["finished_at"]) - 1.0, (last_refused - stopped_at, SLOW_SECONDS)  # type: ignore[arg-type]
    # A connection the kernel accepted was answered. (Before the supervisor closed its copies first, every one
    # made after the workers stopped accepting was dropped: hundreds in these seconds.)
    assert outcomes["dropped"] == 0, [example for c in clients for example in c.examples]
