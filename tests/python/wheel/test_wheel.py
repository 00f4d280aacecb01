"""The wheel of scripts/wheel, installed with `pip install --no-deps` into a fresh venv: its extension needs no
Debian library but glibc (checked with ldd and `auditwheel show`), and its `uring-granian` serves ASGI, WSGI, TLS
and WebSocket to clients of this interpreter over real sockets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from server_process import ServerProcess
from tls_pki import Pki
from websockets.sync.client import connect
from wheel_install import HERE, REPO, Install, clean_env

# What a manylinux wheel may take from the system: glibc's libraries (the manylinux policies' whole list for
# x86_64 also has libgcc_s, libstdc++ and X11/GL, which this extension must not need: they are linked in).
GLIBC = {
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "ld-linux-x86-64.so.2",
    "linux-vdso.so.1",
}
OPENSSL = {"libssl.so.3", "libcrypto.so.3"}
# scripts/wheel --system-openssl leaves OpenSSL to the system on purpose.
SYSTEM_OPENSSL = os.environ.get("URING_GRANIAN_WHEEL_SYSTEM_OPENSSL") == "1"
LIBS_BUILT_IN = ("liburing", "libllhttp", "libfmt", "libz.", "libz-", "libstdc++", "libgcc_s")
# Base libraries of every manylinux policy that auditwheel therefore never copies: a library the wheel bundles may
# load them from the system (Debian 13's libcrypto is built with zlib), the extension itself must not.
MANYLINUX_BASE_FOR_BUNDLED = {"libz.so.1"}


def native_module(install: Install) -> Path:
    found = list((install.site_packages / "uring_granian").glob("_native*.so"))
    assert len(found) == 1, found
    return found[0]


def ldd(path: Path) -> dict[str, str]:
    """{library name: the file the loader picks}, with LD_LIBRARY_PATH unset so only the RUNPATH auditwheel set
    and the system's directories count."""
    output = subprocess.run(["ldd", str(path)], check=True, capture_output=True, text=True, env=clean_env()).stdout
    resolved = {}
    for line in output.splitlines():
        name, _, rest = line.strip().partition(" => ")
        # "libssl-59d05945.so.3 => /path (0x...)", or a path alone for the dynamic loader and the vDSO.
        name = name.split()[0]
        resolved[Path(name).name] = rest.split(" (")[0] if rest else name
    return resolved


def needed(path: Path) -> set[str]:
    """The libraries `path` itself names (DT_NEEDED), without what those load in turn."""
    output = subprocess.run(["readelf", "-d", str(path)], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output))


def test_the_extension_needs_only_glibc_from_the_system(install):
    libs_dir = (install.site_packages / "uring_granian.libs").resolve()
    module = native_module(install)
    resolved = ldd(module)
    direct = needed(module)
    assert "not found" not in resolved.values(), resolved
    for name, where in resolved.items():
        bundled = Path(where).resolve().parent == libs_dir
        if name in GLIBC:
            assert not bundled, f"{name} must come from the system"
        elif SYSTEM_OPENSSL and name in OPENSSL:
            assert where.startswith(("/lib", "/usr/lib")), f"{name} => {where}"
        elif name in MANYLINUX_BASE_FOR_BUNDLED and name not in direct:
            assert where.startswith(("/lib", "/usr/lib")), f"{name} => {where}"
        else:
            # Everything else is inside the wheel: copied by auditwheel under a hashed name (libssl-1a2b3c4d.so.3).
            assert bundled, f"{name} => {where}, not from the wheel's {libs_dir}"
    for name in direct:
        # Linked into the extension, so not needed at all; llhttp alone may instead be bundled (where Debian ships
        # no static llhttp), and then it resolved into the wheel's directory above.
        where = resolved.get(name, "")
        bundled_llhttp = name.startswith("libllhttp") and Path(where).resolve().parent == libs_dir
        if name.startswith(LIBS_BUILT_IN) and not bundled_llhttp:
            pytest.fail(f"{name} should be linked into the extension: {resolved}")
    assert {name.split("-")[0].split(".")[0] for name in resolved} >= {"libssl", "libcrypto", "libc"}, resolved


def auditwheel() -> Path:
    tool = Path(
        os.environ.get(
            "URING_GRANIAN_AUDITWHEEL",
            REPO / f"build/wheel/venv-{sys.version_info.major}.{sys.version_info.minor}/bin/auditwheel",
        )
    )
    if not tool.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no {tool} (scripts/wheel installs it)")
        pytest.skip(f"no {tool}: run scripts/wheel")
    return tool


def test_auditwheel_names_a_manylinux_policy_and_only_glibc(install):
    report = subprocess.run(
        [str(auditwheel()), "show", str(install.wheel)], check=True, capture_output=True, text=True
    ).stdout
    report = " ".join(report.split())  # auditwheel wraps its lines
    # The glibc symbol versions used name the tag, which the wheel's file name carries.
    glibc_tag = re.search(r"constrains the platform tag to \"(manylinux_2_\d+_x86_64)\"", report)
    assert glibc_tag, report
    assert glibc_tag.group(1) in install.wheel.name
    consistent = re.search(r"consistent with the following platform tag: \"(\w+)\"", report)
    assert consistent, report
    # auditwheel show does not know that --system-openssl left OpenSSL out on purpose: it calls such a wheel
    # linux_x86_64 (libssl is in no manylinux policy), although repair tagged it manylinux.
    assert consistent.group(1) == ("linux_x86_64" if SYSTEM_OPENSSL else glibc_tag.group(1)), report
    # The libraries whose versioned symbols the wheel uses: glibc's, and OpenSSL's under the hashed names of the
    # copies auditwheel put in the wheel (libssl-59d05945.so.3); libstdc++'s GLIBCXX_* would appear here if the C++
    # runtime were not linked in, libz's ZLIB_* if zlib were not.
    external = re.search(r"system-provided shared libraries: (.*?)(?: This constrains|$)", report)
    assert external, report
    names = set(re.findall(r"(lib[\w.+-]+\.so\.\d+) with versions", external.group(1)))
    bundled = {name for name in names if re.fullmatch(r"lib\w+-[0-9a-f]{8}\.so\.\d+", name)}
    system = names - bundled
    allowed = GLIBC | (OPENSSL if SYSTEM_OPENSSL else set())
    assert "libc.so.6" in system and system <= allowed, names
    assert {name.split("-")[0] for name in bundled} <= {"libssl", "libcrypto", "libllhttp", "libnghttp2"}, bundled


@contextmanager
def serving(install: Install, app: str, *options: str, https: bool = False) -> Iterator[ServerProcess]:
    server = ServerProcess(app, HERE, *options, env=clean_env(), program=[str(install.console_script)])
    if https:
        server.url = server.url.replace("http://", "https://")
    try:
        yield server.start()
    finally:
        server.close()


def assert_served_by_the_wheel(install: Install, body: bytes) -> None:
    assert Path(body.decode()).is_relative_to(install.site_packages), body


def test_asgi(install):
    with serving(install, "wheel_apps:asgi_app") as server:
        response = httpx.get(server.url + "/", timeout=10)
        # The backend scripts/test asked for (the statically linked liburing's, or epoll's) is the one serving.
        wanted = os.environ.get("URING_GRANIAN_IO_BACKEND", "auto")
        line = re.search(r"I/O backend: (\w+)", server.wait_for_log("I/O backend: "))
        assert line and line.group(1) in ({"io_uring", "epoll"} if wanted == "auto" else {wanted}), server.logs()
    assert response.status_code == 200
    assert response.headers["x-scheme"] == "http"
    assert_served_by_the_wheel(install, response.content)


def test_wsgi(install):
    with serving(install, "wheel_apps:wsgi_app", "--interface", "wsgi") as server:
        response = httpx.post(server.url + "/", content=b"x" * 100_000, timeout=10)
    assert response.status_code == 200
    assert response.headers["x-echo-length"] == "100000"
    assert_served_by_the_wheel(install, response.content)


def test_tls_with_the_bundled_openssl(install, pki: Pki):
    with serving(install, "wheel_apps:asgi_app", *pki.server_options(), https=True) as server:
        with httpx.Client(verify=pki.client_context(), timeout=10) as client:
            response = client.get(server.url + "/")
        with connect(f"wss://127.0.0.1:{server.port}/ws", ssl=pki.client_context(), proxy=None, open_timeout=10) as ws:
            ws.send("over TLS")
            assert ws.recv(timeout=10) == "over TLS"
    assert response.status_code == 200
    assert response.headers["x-scheme"] == "https"
    assert_served_by_the_wheel(install, response.content)


def test_websocket_echo(install):
    with (
        serving(install, "wheel_apps:asgi_app") as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", proxy=None, open_timeout=10) as ws,
    ):
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        # permessage-deflate (zlib, linked in), which the client offers by default.
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        ws.send(b"\x00\x01" * 40_000)
        assert ws.recv(timeout=10) == b"\x00\x01" * 40_000
