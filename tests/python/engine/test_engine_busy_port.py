"""A busy port is one error line and a non-zero exit, whoever listens there, even a stranger with SO_REUSEPORT
(which the kernel would otherwise let uring-serve join, splitting the connections between two servers). Our own
reactors still share their port, also a port 0 the kernel picked, and a restart is not blocked by TIME_WAIT."""

from __future__ import annotations

import socket
import subprocess

import pytest
from engine_server import ERROR_PREFIX, HOST, READY_PREFIX, Server, server_command
from engine_wire import HttpReader
from port_holders import listening_sockets, sockets_of, stranger_listening, time_wait_count

GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
GET_AND_CLOSE = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"


def start_second(port: int, *args: str, threads: int = 1) -> subprocess.CompletedProcess[str]:
    command = server_command(port, *args, threads=threads)
    return subprocess.run(command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)


def assert_refused(result: subprocess.CompletedProcess[str], where: str) -> None:
    assert result.returncode != 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    assert errors == [f"{ERROR_PREFIX} address {where} is already in use"], result.stderr
    assert READY_PREFIX not in result.stderr


def assert_serves(server: Server, connections: int = 8) -> None:
    for _ in range(connections):  # new connections: the kernel hashes them over every listener of the port
        with server.connect() as sock:
            sock.sendall(GET)
            assert HttpReader(sock).read_response().status == 200


def assert_only_listeners(port: int, pid: int, count: int) -> None:
    listeners = listening_sockets(port)
    assert len(listeners) == count, listeners
    assert listeners <= sockets_of(pid)


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("threads", [1, 2])
def test_a_second_uring_serve_on_the_port_is_refused(start_server, threads: int) -> None:
    first = start_server(threads=2)
    result = start_second(first.port, threads=threads)
    assert_refused(result, f"http://{HOST}:{first.port}")
    assert_only_listeners(first.port, first.pid, 2)
    assert_serves(first)


@pytest.mark.parametrize("reuse_port", [True, False], ids=["stranger-with-SO_REUSEPORT", "stranger-without"])
def test_a_strangers_listener_is_refused(reuse_port: bool) -> None:
    with stranger_listening(HOST, reuse_port=reuse_port) as (port, stranger):
        result = start_second(port, threads=2)
        assert_refused(result, f"http://{HOST}:{port}")
        assert_only_listeners(port, stranger, 1)


def test_ipv6_any_and_a_specific_host_are_checked(start_server) -> None:
    if not ipv6_available():
        pytest.skip("no IPv6 loopback on this machine")
    first = start_server("--host", "::", threads=2)
    assert_refused(start_second(first.port, "--host", "::"), f"http://[::]:{first.port}")
    # [::] also takes IPv4: a server for 127.0.0.1 alone would share it too.
    assert_refused(start_second(first.port), f"http://{HOST}:{first.port}")
    assert_serves(first)
    with stranger_listening("::1") as (port, _):
        assert_refused(start_second(port, "--host", "::1"), f"http://[::1]:{port}")
        assert_refused(start_second(port, "--host", "::"), f"http://[::]:{port}")


def test_the_wildcard_address_is_refused_where_a_specific_host_listens(start_server) -> None:
    first = start_server()
    assert_refused(start_second(first.port, "--host", "0.0.0.0"), f"http://0.0.0.0:{first.port}")


def test_two_threads_share_the_port_and_serve(start_server) -> None:
    server = start_server(threads=2)
    assert "(2 threads)" in server.ready_line
    assert_only_listeners(server.port, server.pid, 2)
    assert_serves(server, connections=32)


def test_port_0_lets_the_reactors_share_the_port_the_kernel_picked(start_server) -> None:
    server = start_server(threads=3, port=0)
    assert server.port != 0
    assert_only_listeners(server.port, server.pid, 3)
    assert_serves(server)


def test_time_wait_connections_of_an_earlier_server_do_not_block_a_restart(start_server) -> None:
    first = start_server()
    for _ in range(3):
        with first.connect() as sock:
            sock.sendall(GET_AND_CLOSE)
            reader = HttpReader(sock)
            assert reader.read_response().status == 200
            assert reader.closed_by_server()  # the server closed first: the TIME_WAIT is on its port
    assert first.stop() == 0
    assert time_wait_count(first.port) >= 1
    second = start_server(port=first.port)
    assert_serves(second)
