"""Keep-alive clients that tell a clean stop from a lossy one (`perf/bench replace --mode sigterm` and
tests/python/workers/test_stop_under_load.py).

wrk cannot: once a stopped server's listeners are closed, its connects are refused, and wrk counts those as read or
write errors like a response cut short. These clients are raw sockets that loop GET requests over keep-alive
connections (a new connection after a `Connection: close`) until a connect is refused, and sort every attempt:
  ok        a complete 2xx response (Content-Length bytes of body)
  refused   the connect was refused: the loop's end, what a stopped server must answer
  dropped   a new connection the kernel accepted that got no byte of its first response (accepted, then lost)
  raced     a keep-alive request that got no byte of response (the server closed the idle connection first)
  cut       a response that ended before its last byte
  non_2xx   a response with another status
  hung      no byte within the socket timeout
"""

import socket
import threading
import time
from collections import Counter

# What a stop must never produce; `raced` is the client's own race with an idle close, and `refused` is the point.
LOSSES = ("dropped", "cut", "non_2xx", "hung")


def read_response(sock):
    """(status, headers as a lower-cased dict, body, bytes received); raises OSError with the byte count so far
    in `received` when the connection ends or times out before the response is whole."""
    data = b""

    def fill():
        nonlocal data
        try:
            chunk = sock.recv(65536)
        except OSError as error:
            error.received = len(data)
            raise
        if not chunk:
            error = ConnectionAbortedError("closed by the server")
            error.received = len(data)
            raise error
        data += chunk

    while b"\r\n\r\n" not in data:
        fill()
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(data) - len(head) - 4 < length:
        fill()
    body = data[len(head) + 4 :][:length]
    return int(status_line.split(" ")[1]), headers, body, len(data)


class KeepAliveClient(threading.Thread):
    """GET `path` in a loop until a connect is refused (or `halt` is set); `outcomes` counts the kinds above."""

    def __init__(self, host, port, path="/", timeout=15.0):
        super().__init__(daemon=True)
        self.host, self.port, self.timeout = host, port, timeout
        self.request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        self.outcomes = Counter()
        self.examples = []  # the first few losses, described
        self.refused_at = None
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            except ConnectionRefusedError:
                self.refused_at = time.monotonic()
                self.outcomes["refused"] += 1
                return
            with sock:
                self._serve(sock)

    def _serve(self, sock):
        first = True
        while not self.halt.is_set():
            try:
                sock.sendall(self.request)
                status, headers, _, _ = read_response(sock)
            except OSError as error:
                received = getattr(error, "received", 0)
                if isinstance(error, TimeoutError) and not received:
                    self._lose("hung", "no byte within the socket timeout")
                elif received:
                    self._lose("cut", f"response cut after {received} bytes: {error!r}")
                elif first:
                    self._lose("dropped", f"accepted, then closed before any byte: {error!r}")
                else:
                    self.outcomes["raced"] += 1
                return
            first = False
            if not 200 <= status < 300:
                self._lose("non_2xx", f"status {status}")
                return
            self.outcomes["ok"] += 1
            if headers.get("connection", "").lower() == "close":
                return

    def _lose(self, kind, text):
        self.outcomes[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {text}")


def total(clients):
    return sum((client.outcomes for client in clients), Counter())
