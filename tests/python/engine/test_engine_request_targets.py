"""Request-target forms (RFC 9112 3.2) against uring-serve over raw sockets: absolute-form is served as its
origin-form (the static files too), OPTIONS * is served, the forms a method may not use get 400 and the close,
CONNECT gets 405 with an empty Allow and the close."""

from __future__ import annotations

import pytest
from engine_wire import HttpReader, exchange
from smuggling_requests import assert_refused_alone, assert_refused_alone_byte_by_byte
from target_requests import (
    ABSOLUTE_FORM,
    ABSOLUTE_FORM_HTTP10,
    ABSOLUTE_FORM_NO_PATH,
    OPTIONS_ASTERISK,
    REFUSED_TARGETS,
    assert_connect_refused,
)

HELLO_BODY = b"Hello, World!"
FILE_TEXT = b"a static file\n"
INDEX_HTML = b"<!doctype html><title>index</title>\n"


@pytest.fixture(scope="module")
def files_server(module_server_factory, tmp_path_factory):
    root = tmp_path_factory.mktemp("targets-root")
    (root / "static").mkdir()
    (root / "static" / "x.txt").write_bytes(FILE_TEXT)
    (root / "index.html").write_bytes(INDEX_HTML)
    return module_server_factory("--root", str(root))


@pytest.mark.parametrize("request_bytes", [ABSOLUTE_FORM, ABSOLUTE_FORM_NO_PATH, ABSOLUTE_FORM_HTTP10])
def test_absolute_form_is_served(hello_server, request_bytes):
    with hello_server.connect() as sock:
        response = exchange(sock, request_bytes)
    assert response.status == 200
    assert response.body == HELLO_BODY


def test_absolute_form_keeps_the_connection_and_pipelines(echo_server):
    post = b"POST http://b.example/up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
    with echo_server.connect() as sock:
        sock.sendall(post + post + b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        reader = HttpReader(sock)
        assert [reader.read_response().body for _ in range(3)] == [b"hello", b"hello", b""]


def test_static_file_by_absolute_form(files_server):
    with files_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(b"GET http://test/static/x.txt HTTP/1.1\r\nHost: other\r\n\r\n")
        response = reader.read_response()
        assert response.status == 200
        assert response.body == FILE_TEXT
        # No path in the target is "/": the root's index.
        sock.sendall(b"GET http://test HTTP/1.1\r\nHost: test\r\n\r\n")
        response = reader.read_response()
        assert response.status == 200
        assert response.body == INDEX_HTML
        sock.sendall(b"HEAD https://test/static/x.txt?v=2 HTTP/1.1\r\nHost: test\r\n\r\n")
        response = reader.read_response(head_request=True)
        assert response.status == 200
        assert response.header("Content-Length") == str(len(FILE_TEXT))


def test_options_asterisk_is_served(hello_server):
    with hello_server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(OPTIONS_ASTERISK + OPTIONS_ASTERISK)
        assert reader.read_response().status == 200
        assert reader.read_response().status == 200  # the connection stays usable


def test_options_asterisk_to_the_static_files_is_not_a_file(files_server):
    with files_server.connect() as sock:
        response = exchange(sock, OPTIONS_ASTERISK)
    # The static files allow GET and HEAD only; "*" is no path below the root.
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD"


@pytest.fixture(scope="module", params=["hello", "echo", "files"])
def any_server(request):
    return request.getfixturevalue(f"{request.param}_server")


@pytest.mark.parametrize("name", sorted(REFUSED_TARGETS))
def test_refused_target_gets_400_and_close(any_server, name):
    with any_server.connect() as sock:
        assert_refused_alone(sock, REFUSED_TARGETS[name])


@pytest.mark.parametrize("name", sorted(REFUSED_TARGETS))
def test_refused_target_sent_byte_by_byte_gets_400_and_close(hello_server, name):
    with hello_server.connect() as sock:
        assert_refused_alone_byte_by_byte(sock, REFUSED_TARGETS[name])


def test_connect_gets_405_with_an_empty_allow_and_close(any_server):
    with any_server.connect() as sock:
        assert_connect_refused(sock)
