"""Request-smuggling attempts (issue 12), shared by the engine, ASGI and WSGI end-to-end tests.

Each attempt is written with SMUGGLED_GET right behind it on one connection. A server that frames an attempt as
a lenient parser does answers twice, once for a request the client (or the proxy in front) never saw; ours must
answer the attempt alone, with 400, and close the connection.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
from engine_wire import HttpReader, Response

SMUGGLED_GET = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

# A header line starting with SP or HTAB (obs-fold), even after an empty value.
FOLD_AFTER_EMPTY_CONTENT_LENGTH = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\nhello"
FOLD_AFTER_EMPTY_TRANSFER_ENCODING = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"
TAB_FOLD_AFTER_EMPTY_VALUE = b"GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\tb\r\n\r\n"
# Chunked framing that a non-strict llhttp skips without looking.
CHUNK_DATA_NOT_FOLLOWED_BY_CRLF = CHUNKED_HEAD + b"5\r\nhelloXX0\r\n\r\n"
CHUNK_DATA_FOLLOWED_BY_CR_CR = CHUNKED_HEAD + b"2\r\nxx\r\r4\r\nabcd\r\n0\r\n\r\n"
CHUNK_SIZE_CR_NOT_FOLLOWED_BY_LF = CHUNKED_HEAD + b"5\rXhello\r\n0\r\n\r\n"
# Trailer sections under the head's line rules.
TRAILERS_ENDED_BY_BARE_LF = CHUNKED_HEAD + b"0\r\nX: y\r\n\n"
TRAILER_FOLD = CHUNKED_HEAD + b"0\r\nX: y\r\n z\r\n\r\n"
TRAILERS_STARTING_WITH_SPACE = CHUNKED_HEAD + b"0\r\n X: y\r\n\r\n"
# RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
HTTP10_TRANSFER_ENCODING = (
    b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n"
)
# RFC 9112 3.2: an invalid Host value.
HOST_WITH_SPACE = b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"
HOST_NOT_ASCII = b"GET / HTTP/1.1\r\nHost: \x85\xb1a\r\n\r\n"
HOST_PLUS_SPACE = b"GET / HTTP/1.1\r\nHost:+ 127.0.0.1\r\n\r\n"

# Chunked uploads whose trailer section carries fields the body's sender must not send as trailers (RFC 9110 6.5.1).
FORBIDDEN_TRAILERS = {
    "trailer_content_length": CHUNKED_HEAD + b"0\r\nContent-Length: 37\r\n\r\n",
    "trailer_transfer_encoding": CHUNKED_HEAD + b"0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "trailer_host": CHUNKED_HEAD + b"2\r\nok\r\n0\r\nHost: evil.example\r\n\r\n",
    "trailer_authorization_after_allowed": CHUNKED_HEAD + b"0\r\nX-A: 1\r\nAuthorization: Basic eDp5\r\n\r\n",
    "trailer_if_none_match": CHUNKED_HEAD + b"0\r\nif-none-match: *\r\n\r\n",
}

# The framing checks must not refuse this: extensions (one quoted), data holding CRLFs and "0", trailers.
CHUNKED_WITH_TRAILERS = CHUNKED_HEAD + (
    b'3;name="q v"\r\nabc\r\n'
    b"7\r\n\r\n0\r\n\r\n\r\n"
    b"0\r\nX-Trailer: yes\r\nX-Empty:\r\n\r\n"
)
CHUNKED_WITH_TRAILERS_BODY = b"abc\r\n0\r\n\r\n"

SMUGGLING_ATTEMPTS = {
    "fold_after_empty_content_length": FOLD_AFTER_EMPTY_CONTENT_LENGTH,
    "fold_after_empty_transfer_encoding": FOLD_AFTER_EMPTY_TRANSFER_ENCODING,
    "tab_fold_after_empty_value": TAB_FOLD_AFTER_EMPTY_VALUE,
    "chunk_data_not_followed_by_crlf": CHUNK_DATA_NOT_FOLLOWED_BY_CRLF,
    "chunk_data_followed_by_cr_cr": CHUNK_DATA_FOLLOWED_BY_CR_CR,
    "chunk_size_cr_not_followed_by_lf": CHUNK_SIZE_CR_NOT_FOLLOWED_BY_LF,
    "trailers_ended_by_bare_lf": TRAILERS_ENDED_BY_BARE_LF,
    "trailer_fold": TRAILER_FOLD,
    "trailers_starting_with_space": TRAILERS_STARTING_WITH_SPACE,
    "http10_transfer_encoding": HTTP10_TRANSFER_ENCODING,
    "host_with_space": HOST_WITH_SPACE,
    "host_not_ascii": HOST_NOT_ASCII,
    "host_plus_space": HOST_PLUS_SPACE,
    # RFC 9110 6.5.1: framing, routing, authentication... fields as trailers.
    **FORBIDDEN_TRAILERS,
}
# Attempts whose head is fine: they are refused in the body, after the request went to the application.
REFUSED_AFTER_THE_HEAD = {
    "chunk_data_not_followed_by_crlf",
    "chunk_data_followed_by_cr_cr",
    "chunk_size_cr_not_followed_by_lf",
    "trailers_ended_by_bare_lf",
    "trailer_fold",
    "trailers_starting_with_space",
    *FORBIDDEN_TRAILERS,
}


def assert_one_400_then_closed(reader: HttpReader) -> Response:
    """The next response is a 400, and the server closes the connection after it without another one."""
    response = reader.read_response()
    assert response.status == 400, f"expected 400, got {response.status} {response.reason}"
    # Raises ProtocolError if a second response (the smuggled request's) arrives instead of the close.
    assert reader.closed_by_server(), "connection left open after the 400"
    return response


def assert_refused_alone(sock: socket.socket, attempt: bytes) -> Response:
    """Writes `attempt` and SMUGGLED_GET in one go; exactly one response, a 400, comes back, then the close."""
    sock.sendall(attempt + SMUGGLED_GET)
    return assert_one_400_then_closed(HttpReader(sock))


def assert_refused_alone_byte_by_byte(sock: socket.socket, attempt: bytes) -> Response:
    """Like assert_refused_alone, but `attempt` and SMUGGLED_GET go out one byte per segment, so the server sees every
    split."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for byte in attempt + SMUGGLED_GET:
            sock.send(bytes([byte]))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused and closed before the last byte: the rest is not read any more
    return assert_one_400_then_closed(HttpReader(sock))


def exchange_valid_pipeline(sock: socket.socket) -> None:
    """CHUNKED_WITH_TRAILERS and SMUGGLED_GET in one write: here the second request is a real one, answered
    after the first, because the first ends exactly at its blank line."""
    sock.sendall(CHUNKED_WITH_TRAILERS + SMUGGLED_GET)
    reader = HttpReader(sock)
    first = reader.read_response()
    assert first.status == 200
    assert first.body == CHUNKED_WITH_TRAILERS_BODY
    assert reader.read_response().status == 200


# ---- through an application that lists at GET /calls the paths it was called for, in order
# (tests/python/asgi/smuggling_app.py, tests/python/wsgi/smuggling_wsgi_app.py) ----


def app_calls_during(port: int, exchange: Callable[[socket.socket], object]) -> list[str]:
    """The paths the app was called for while `exchange` ran on a fresh connection to 127.0.0.1:`port`."""
    before = httpx.get(f"http://127.0.0.1:{port}/calls").json()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        exchange(sock)
    return httpx.get(f"http://127.0.0.1:{port}/calls").json()[len(before) :]


def assert_refused_before_reaching_the_app(port: int, name: str) -> None:
    calls = app_calls_during(port, lambda sock: assert_refused_alone(sock, SMUGGLING_ATTEMPTS[name]))
    if name in REFUSED_AFTER_THE_HEAD:
        # The refused request itself may have reached the app; the smuggled one never does.
        assert set(calls) <= {"/"}, calls
    else:
        assert calls == [], calls
