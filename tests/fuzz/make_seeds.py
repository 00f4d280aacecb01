"""Writes the seed inputs of the fuzz targets from the existing tests' raw requests and frames.

    python3 tests/fuzz/make_seeds.py OUT_DIR

makes OUT_DIR/<target>/ for each target; scripts/fuzz --seed then merges them (libFuzzer -merge=1) into
tests/fuzz/corpus/<target>/, keeping only the inputs that add coverage. The sources: the C++ string literals
of the doctest files under tests/engine/ (adjacent literals joined, escapes decoded), the request constants
of tests/python/engine/smuggling_requests.py, and frames and TLS ClientHellos built here.
"""

from __future__ import annotations

import ast
import hashlib
import re
import ssl
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The split plan the C++ targets read first (see take_cuts in http1_driver.hpp): none, and two cuts.
PLANS = (b"\x00", b"\x02\x40\xc0")
CHUNKED_HEAD = b"Transfer-Encoding: chunked\r\n\r\n"


def cpp_literals(path: Path) -> list[bytes]:
    """The string literals of a C++ file, adjacent ones joined; raw and character literals are skipped."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"//[^\n]*", "", text)
    joined = re.findall(r'((?<![R\'\w])"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*)', text)
    literals = []
    for group in joined:
        pieces = re.findall(r'"((?:[^"\\\n]|\\.)*)"', group)
        raw = "".join(pieces).encode("latin-1", "backslashreplace")
        try:
            literals.append(raw.decode("unicode_escape").encode("latin-1"))
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
    return literals


def python_byte_constants(path: Path) -> list[bytes]:
    """Module-level bytes constants (names and + of constants resolved) of a Python file."""
    values: dict[str, bytes] = {}

    def evaluate(node: ast.expr) -> bytes | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            return node.value
        if isinstance(node, ast.Name):
            return values.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = evaluate(node.left), evaluate(node.right)
            return left + right if left is not None and right is not None else None
        return None

    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            value = evaluate(statement.value)
            if isinstance(target, ast.Name) and value is not None:
                values[target.id] = value
    return list(values.values())


def client_frame(first: int, payload: bytes, mask: bytes = b"\x37\xfa\x21\x3d") -> bytes:
    size = len(payload)
    if size <= 125:
        header = struct.pack("!BB", first, 0x80 | size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, size)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_seeds() -> list[bytes]:
    close = struct.pack("!H", 1000) + b"bye"
    return [
        client_frame(0x81, b"Hello"),
        client_frame(0x01, b"Hel") + client_frame(0x89, b"ping") + client_frame(0x80, b"lo"),
        client_frame(0x82, bytes(range(200))),
        # A 64-bit length announced, the payload cut short: the parser must wait, not read past the input.
        client_frame(0x82, b"x" * 70000)[:40],
        client_frame(0x81, "h\u00e9llo \U0001f600".encode()),
        client_frame(0x81, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
        client_frame(0x8A, b"pong") + client_frame(0x88, close),
        client_frame(0x88, b""),
        client_frame(0x88, b"\x03"),
        client_frame(0x88, struct.pack("!H", 1005)),
        client_frame(0x88, struct.pack("!H", 4000) + b"\xff"),
        client_frame(0xC1, b"rsv"),
        client_frame(0x83, b"op"),
        client_frame(0x09, b"fragmented ping"),
        client_frame(0x80, b"lonely continuation"),
        struct.pack("!BB", 0x81, 5) + b"nomask",
    ]


def client_hellos() -> list[bytes]:
    hellos = []
    for maximum in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.maximum_version = maximum
        context.set_alpn_protocols(["http/1.1"])
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        client = context.wrap_bio(incoming, outgoing, server_hostname="fuzz")
        try:
            client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hellos.append(outgoing.read())
    return hellos


def http2_seeds() -> list[bytes]:
    """Client frames after the preface (the target sends it): SETTINGS, a GET, a POST with a body in two DATA
    frames, a PING, a WINDOW_UPDATE and a reset stream. HPACK blocks use only literals without indexing (0x00
    prefix, 7-bit lengths), so no table state is needed to build them."""

    def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    def block(fields: list[tuple[bytes, bytes]]) -> bytes:
        return b"".join(b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v for n, v in fields)

    def request(method: bytes) -> bytes:
        return block([(b":method", method), (b":scheme", b"http"), (b":authority", b"fuzz"), (b":path", b"/p?q")])

    settings = frame(0x4, 0, 0, b"\x00\x04\x00\x01\x00\x00")
    get = frame(0x1, 0x5, 1, request(b"GET"))
    post = frame(0x1, 0x4, 3, request(b"POST")) + frame(0x0, 0, 3, b"hello ") + frame(0x0, 0x1, 3, b"world")
    ping = frame(0x6, 0, 0, b"12345678")
    window = frame(0x8, 0, 0, b"\x00\x01\x00\x00")
    reset = frame(0x1, 0x4, 5, request(b"POST")) + frame(0x3, 0, 5, b"\x00\x00\x00\x08")
    return [settings + get, settings + post + ping, settings + window + get + reset, settings + get + post]


def main() -> None:
    out = Path(sys.argv[1])
    engine_tests = REPO / "tests" / "engine"
    http_literals = [
        literal
        for name in ("parser_test.cpp", "connection_test.cpp", "line_rules_test.cpp", "host_validation_test.cpp")
        for literal in cpp_literals(engine_tests / "http" / name)
    ]
    requests = [r for r in http_literals if b"HTTP/" in r]
    requests += python_byte_constants(REPO / "tests" / "python" / "engine" / "smuggling_requests.py")
    chunked = [r.split(CHUNKED_HEAD, 1)[1] for r in requests if CHUNKED_HEAD in r]
    seeds: dict[str, list[bytes]] = {
        "http1_request": [plan + r for r in requests for plan in PLANS] + [b"\x00" + b"".join(requests[:6])],
        "http1_chunked": [plan + body for body in chunked for plan in PLANS],
        "http1_limits": [limits + b"\x00" + r for r in requests for limits in (b"\x20\x10\x04\x08", b"\xff\xff\x0f\x00")],
        "ws_frames": [plan + frame for frame in ws_seeds() for plan in PLANS],
        "path_sanitizer": cpp_literals(engine_tests / "files" / "path_sanitizer_test.cpp"),
        "tls_records": [plan + hello for hello in client_hellos() for plan in PLANS],
        "http2": [plan + frames for frames in http2_seeds() for plan in PLANS],
    }
    file_values = [
        v
        for name in ("range_test.cpp", "etag_test.cpp", "conditional_test.cpp")
        for v in cpp_literals(engine_tests / "files" / name)
    ]
    ranges = [v for v in file_values if v.lower().startswith(b"bytes")] or [b"bytes=0-99"]
    tags = [v for v in file_values if b'"' in v] or [b'"abc"']
    dates = [v for v in file_values if b"GMT" in v] or [b"Sun, 06 Nov 1994 08:49:37 GMT"]
    seeds["files_range"] = [
        struct.pack("<Q", 1000 + i) + b"\n".join((r, tags[i % len(tags)], tags[(i + 1) % len(tags)],
                                                   dates[i % len(dates)], tags[(i + 2) % len(tags)]))
        for i, r in enumerate(ranges)
    ]
    seeds["proxy_headers"] = [bytes([i]) * 8 + b"for=192.0.2.43, for=\"[2001:db8::1]:80\";proto=https" for i in range(4)]
    for target, inputs in seeds.items():
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        for data in inputs:
            (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {len(inputs)} seeds")


if __name__ == "__main__":
    main()
