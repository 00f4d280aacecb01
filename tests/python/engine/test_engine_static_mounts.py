"""uring-serve --static-path-route/--static-path-mount pairs: several directories under their routes, the longest
route first, on segment boundaries; every other path gets the usual "Hello, World!"; --static-path-dir-to-file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from engine_server import URING_SERVE
from engine_wire import exchange

OUTER = b"from the outer mount\n"
INNER = b"from the inner mount\n"
MEDIA = b"from the media mount\n"
INDEX = b"<!doctype html><title>docs</title>\n"


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> Path:
    """outer/ (with img/only-outer.txt and docs/index.html), inner/, media/."""
    base = tmp_path_factory.mktemp("mounts")
    for name, text in (("outer", OUTER), ("inner", INNER), ("media", MEDIA)):
        (base / name).mkdir()
        (base / name / "where.txt").write_bytes(text)
    (base / "outer" / "img").mkdir()
    (base / "outer" / "img" / "only-outer.txt").write_bytes(OUTER)
    (base / "outer" / "docs").mkdir()
    (base / "outer" / "docs" / "index.html").write_bytes(INDEX)
    return base


@pytest.fixture(scope="module")
def mounts_server(module_server_factory, trees):
    # Shortest route first on the command line: the longer one must still win.
    return module_server_factory(
        "--static-path-route", "/static", "--static-path-mount", str(trees / "outer"),
        "--static-path-route", "/static/img/", "--static-path-mount", str(trees / "inner"),
        "--static-path-route", "/media", "--static-path-mount", str(trees / "media"),
    )  # fmt: skip


def status_and_body(server, path: str) -> tuple[int, bytes]:
    with server.connect() as sock:
        response = exchange(sock, get(path))
    return response.status, response.body


def test_each_route_serves_its_own_directory(mounts_server):
    assert status_and_body(mounts_server, "/static/where.txt") == (200, OUTER)
    assert status_and_body(mounts_server, "/static/img/where.txt") == (200, INNER)
    assert status_and_body(mounts_server, "/media/where.txt") == (200, MEDIA)


def test_the_longest_route_owns_everything_below_it(mounts_server):
    # outer/img/only-outer.txt exists, but /static/img is the inner mount's, which lacks it.
    assert status_and_body(mounts_server, "/static/img/only-outer.txt")[0] == 404
    # /static/imgx is not below /static/img: the outer mount answers (and has no such file).
    assert status_and_body(mounts_server, "/static/imgx/where.txt")[0] == 404


def test_routes_match_on_segment_boundaries_only(mounts_server):
    for path in ("/staticfoo/where.txt", "/mediax/where.txt", "/", "/other"):
        assert status_and_body(mounts_server, path) == (200, b"Hello, World!"), path


def test_directories_are_404_without_dir_to_file(mounts_server):
    assert status_and_body(mounts_server, "/static/docs/")[0] == 404
    assert status_and_body(mounts_server, "/static/docs")[0] == 404


def test_dir_to_file_serves_the_named_file_of_a_directory(start_server, trees):
    server = start_server(
        "--static-path-mount", str(trees / "outer"), "--static-path-dir-to-file", "index.html"
    )  # one mount alone: the route is /static
    for path in ("/static/docs/", "/static/docs"):
        with server.connect() as sock:
            response = exchange(sock, get(path))
        assert (response.status, response.body) == (200, INDEX), path
        assert (response.header("Content-Type") or "").startswith("text/html")
    # A directory without that file stays 404; so does the traversal the name might have allowed.
    assert status_and_body(server, "/static/img/")[0] == 404
    assert status_and_body(server, "/static/%2e%2e/")[0] == 404


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--static-path-route", "/a", "--static-path-route", "/b", "--static-path-mount", "/tmp"],
         "--static-path-route and --static-path-mount pair by position: got 2 route(s) for 1 mount(s)"),
        (["--static-path-mount", "/tmp", "--static-path-mount", "/"],
         "--static-path-route and --static-path-mount pair by position: got 0 route(s) for 2 mount(s)"),
        (["--static-path-dir-to-file", "index.html"], "--static-path-dir-to-file needs --static-path-mount"),
        (["--static-path-route", "/a", "--static-path-mount", "/tmp", "--static-path-route", "/a/",
          "--static-path-mount", "/"], "static route '/a' is given more than once"),
        (["--static-path-mount", "/tmp", "--static-path-dir-to-file", "../x"], "must be a plain file name"),
    ],
)  # fmt: skip
def test_bad_pairs_are_one_error_line(args: list[str], message: str):
    result = subprocess.run(
        [str(URING_SERVE), "--port", "0", *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("uring-serve: error: ")
    assert message in lines[0]
