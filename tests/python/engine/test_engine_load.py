"""Many connections, reactors sharing the load, graceful SIGTERM under load, start-up errors."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import resource
import signal
import socket
import subprocess
import threading
import time

import pytest
from engine_server import HOST, URING_SERVE, free_port, server_command
from engine_wire import HttpReader

CONCURRENT_CONNECTIONS = 5_000
GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_BIG = b"GET /big.bin HTTP/1.1\r\nHost: test\r\n\r\n"
HELLO_RESPONSE_TAIL = b"\r\n\r\nHello, World!"
BIG_FILE_SIZE = 4 * 1024 * 1024


def raise_open_file_limit(wanted: int) -> None:
    """The test process and the server it starts (which inherits the limit) each hold one fd per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        except (ValueError, PermissionError):
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {wanted} and cannot be raised")
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def read_hello(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    body = await reader.readexactly(length)
    assert body == b"Hello, World!"


async def hold_connections(port: int, count: int) -> int:
    """Open `count` connections, keep all of them open, send two requests on each; returns responses read."""
    connect_slots = asyncio.Semaphore(512)  # bounded burst of SYNs; all connections stay open together

    async def open_one():
        async with connect_slots:
            return await asyncio.open_connection(HOST, port)

    connections = await asyncio.gather(*(open_one() for _ in range(count)))
    answered = 0
    try:
        for _ in range(2):  # the second round proves every connection was kept alive
            for _, writer in connections:
                writer.write(GET)
            await asyncio.gather(*(read_hello(reader) for reader, _ in connections))
            answered += len(connections)
    finally:
        for _, writer in connections:
            writer.close()
    return answered


def test_five_thousand_concurrent_keep_alive_connections(start_server):
    raise_open_file_limit(4 * CONCURRENT_CONNECTIONS)
    server = start_server(threads=2)
    answered = asyncio.run(asyncio.wait_for(hold_connections(server.port, CONCURRENT_CONNECTIONS), timeout=120))
    assert answered == 2 * CONCURRENT_CONNECTIONS


def thread_cpu_ticks(pid: int) -> dict[int, int]:
    """utime + stime (clock ticks) of every thread of a process, from /proc/PID/task/TID/stat."""
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks[int(tid)] = int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return ticks


def pipelined_burst(port: int, connections: int, depth: int) -> None:
    """Many short connections each carrying `depth` pipelined requests; SO_REUSEPORT spreads them by 4-tuple.
    Responses are counted by their body rather than parsed, so the client is cheap next to the server."""
    for _ in range(connections):
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(GET * depth)
            answered = 0
            carry = b""  # shorter than the marker, so a marker is never counted twice
            while answered < depth:
                chunk = sock.recv(1 << 20)
                assert chunk, f"closed after {answered} of {depth} responses"
                window = carry + chunk
                answered += window.count(HELLO_RESPONSE_TAIL)
                carry = window[-(len(HELLO_RESPONSE_TAIL) - 1) :]
            assert answered == depth


def test_load_spreads_across_reactors(start_server):
    server = start_server(threads=2)
    before = thread_cpu_ticks(server.pid)
    # Load in rounds until the server has used enough CPU to judge the split: a faster engine (or an idle
    # machine) needs more requests for the same number of clock ticks.
    for _ in range(8):
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            bursts = [pool.submit(pipelined_burst, server.port, 400, 500) for _ in range(2)]
            for burst in bursts:
                burst.result(timeout=120)
        after = thread_cpu_ticks(server.pid)
        used = sorted((after[tid] - before.get(tid, 0) for tid in after), reverse=True)
        total = sum(used)
        if total >= 40:
            break
    assert total >= 20, f"too little CPU used to judge the spread: {used} ticks"
    # Two reactors must each carry a real share of the work (not just a thread that woke up once).
    assert used[1] >= 0.15 * total, f"per-thread CPU ticks {used}: one reactor did the work"


class LoadOutcome:
    """Tallies what each client request saw while the server is being stopped."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.complete = 0
        self.refused_or_closed_before_response = 0
        self.lost: list[str] = []

    def record(self, complete: bool, detail: str = "") -> None:
        with self.lock:
            if complete:
                self.complete += 1
            elif detail:
                self.lost.append(detail)
            else:
                self.refused_or_closed_before_response += 1


def big_file_client(port: int, stop: threading.Event, outcome: LoadOutcome) -> None:
    """Keep-alive client fetching a 4 MiB file until the server is gone. A response whose first byte arrived
    must arrive whole; a request may only fail before any response byte (refused, or closed while idle)."""
    while not stop.is_set():
        try:
            sock = socket.create_connection((HOST, port), timeout=10)
        except OSError:
            outcome.record(False)
            if stop.wait(0.01):
                return
            continue
        with sock:
            reader = HttpReader(sock)
            while not stop.is_set():
                try:
                    sock.sendall(GET_BIG)
                except OSError:
                    outcome.record(False)
                    break
                try:
                    response = reader.read_response()
                except (ConnectionAbortedError, ConnectionResetError, BrokenPipeError) as error:
                    if reader.buffer:
                        outcome.record(False, f"{error!r} after {len(reader.buffer)} response bytes")
                    else:
                        outcome.record(False)
                    break
                except TimeoutError:
                    outcome.record(False, f"response stalled for 10 s after {len(reader.buffer)} bytes")
                    break
                if response.status == 200 and len(response.body) == BIG_FILE_SIZE:
                    outcome.record(True)
                else:
                    outcome.record(False, f"status {response.status}, {len(response.body)} body bytes")
                if (response.header("Connection") or "").lower() == "close":
                    break


def test_sigterm_under_load_loses_no_started_response(start_server, tmp_path):
    (tmp_path / "big.bin").write_bytes(os.urandom(BIG_FILE_SIZE))
    server = start_server("--root", str(tmp_path), "--graceful-timeout", "20", threads=2)
    stop = threading.Event()
    outcome = LoadOutcome()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
    clients = [pool.submit(big_file_client, server.port, stop, outcome) for _ in range(16)]
    deadline = time.monotonic() + 10
    while outcome.complete < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert outcome.complete >= 20, "load never got going"
        code = server.stop(signal.SIGTERM, timeout=30)
    finally:
        time.sleep(0.2)  # clients see the refusal of new connections after the exit
        stop.set()
        for client in clients:
            client.result(timeout=30)  # re-raises anything unexpected a client hit
        pool.shutdown()
    assert code == 0, f"exit code {code} after SIGTERM; stderr:\n{server.stderr_text()}"
    assert not outcome.lost, f"{len(outcome.lost)} responses cut short, e.g. {outcome.lost[:5]}"
    assert outcome.complete >= 20


def test_sigint_stops_gracefully(start_server):
    server = start_server()
    with server.connect() as sock:
        sock.sendall(GET)
        assert HttpReader(sock).read_response().status == 200
    assert server.stop(signal.SIGINT) == 0


def run_failing_start(*extra: str, port: int | None = None) -> subprocess.CompletedProcess[str]:
    command = server_command(port or free_port(), *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("uring-serve: error:")]
    assert len(error_lines) == 1, f"stderr:\n{result.stderr}"


def test_address_in_use_is_a_clear_error():
    assert URING_SERVE.exists(), f"{URING_SERVE} missing"
    with socket.socket() as blocker:  # no SO_REUSEPORT, so the server's bind must fail
        blocker.bind((HOST, 0))
        blocker.listen()
        result = run_failing_start(port=blocker.getsockname()[1])
    assert_one_error_line(result)
    assert "in use" in result.stderr.lower()


@pytest.mark.parametrize(
    "arguments",
    [("--threads", "many"), ("--no-such-option",), ("--max-body-size", "-5"), ("--root", "/no/such/directory")],
)
def test_bad_arguments_are_a_clear_error(arguments):
    assert URING_SERVE.exists(), f"{URING_SERVE} missing"
    assert_one_error_line(run_failing_start(*arguments))
