"""The servers perf/bench can start: command lines per scenario kind, availability and versions.

Kinds: engine (fixed hello), static (files under /static/), asgi, wsgi, soak (the Quart 4 MB app), ws (the
WebSocket echo app perf/apps/ws_app.py).
Every server is started under `taskset -c 0` (0..W-1 with W workers: benchkit/placement.py), in its own session so the whole tree can be stopped, with the
same app files (perf/apps) and the same static root, so only the server differs between rows.
"""

import datetime
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .placement import ONE_WORKER, Placement

REPO = Path(__file__).resolve().parents[2]
PERF = REPO / "perf"
APPS = PERF / "apps"
CONF = PERF / "conf"
PEERS_VENV = PERF / ".venv-peers"
GRANIAN_17_VENV = PERF / ".venv-granian175"
HOST = "127.0.0.1"

PROJECT = "project"
PEER = "peer"
REFERENCE = "reference"  # not a competitor: measures the load generator's own ceiling


@dataclass
class Context:
    """What a command line needs: where to listen, where files are, which binaries to use."""
    port: int
    workdir: Path  # a fresh temporary directory per server start
    static_root: Path  # holds static/<files>; the URL is /static/<file> on every server
    uring_serve: Path
    uring_python: Path
    placement: Placement = ONE_WORKER  # how many workers the server runs (the scaling scenario), on which cores


@dataclass
class Server:
    name: str
    role: str  # PROJECT or PEER: ratios are taken against the best PEER
    commands: dict  # kind -> function(Context) -> argv
    missing: object  # function(Context) -> reason it cannot run, or None
    version: object  # function(Context) -> version string
    env: dict = field(default_factory=dict)


def default_uring_serve():
    """$URING_SERVE, else build/uring-serve (what scripts/build makes), else build-perf/uring-serve."""
    if os.environ.get("URING_SERVE"):
        return Path(os.environ["URING_SERVE"])
    for candidate in (REPO / "build" / "uring-serve", REPO / "build-perf" / "uring-serve"):
        if candidate.exists():
            return candidate
    return REPO / "build" / "uring-serve"


def default_uring_python():
    return REPO / ".venv" / "bin" / "python"


def _run_text(command):
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    return (completed.stdout + completed.stderr).strip()


def _python_reports(python, distribution):
    """'<distribution version> (Python X.Y.Z)' as seen by that interpreter."""
    code = ("import importlib.metadata as m, sys\n"
            f"try: v = m.version({distribution!r})\n"
            "except Exception: v = getattr(__import__(" + repr(distribution.replace("-", "_")) +
            "), '__version__', 'unknown')\n"
            "print(v, '(Python ' + sys.version.split()[0] + ')')")
    return _run_text([str(python), "-c", code])


def _missing_file(path, hint):
    return None if Path(path).exists() else f"{path} not found ({hint})"


def _missing_peer(executable):
    return _missing_file(PEERS_VENV / "bin" / executable, "run `perf/bench --setup-peers`")


def _missing_uring_python(ctx):
    if not ctx.uring_python.exists():
        return f"{ctx.uring_python} not found (run scripts/build, or pass --uring-python)"
    probe = subprocess.run([str(ctx.uring_python), "-c", "import uring_granian.__main__"], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode != 0:
        last_line = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"{ctx.uring_python} cannot import uring_granian ({last_line})"
    return None


def _peer(executable):
    return str(PEERS_VENV / "bin" / executable)


def _listen(ctx):
    return ["--host", HOST, "--port", str(ctx.port)]


def _certificate(ctx):
    """(certificate, key) of the bench's self-signed certificate (runner.make_certificate)."""
    return str(ctx.static_root / "tls" / "cert.pem"), str(ctx.static_root / "tls" / "key.pem")


def _with_tls(command, certificate_flag, key_flag, *, before_last=False):
    """The command with the bench certificate's options, at its end or before its last argument (the app)."""
    def with_tls(ctx):
        argv = command(ctx)
        certificate, key = _certificate(ctx)
        options = [certificate_flag, certificate, key_flag, key]
        return [*argv[:-1], *options, argv[-1]] if before_last else [*argv, *options]
    return with_tls


def _bind(ctx):
    return f"{HOST}:{ctx.port}"


def _nginx_command(ctx):
    template = (CONF / "nginx.conf.in").read_text()
    conf = ctx.workdir / "nginx.conf"
    conf.write_text(template.format(prefix=ctx.workdir, port=ctx.port, root=ctx.static_root))
    return ["nginx", "-p", str(ctx.workdir), "-e", str(ctx.workdir / "error.log"), "-c", str(conf)]


def _uring_granian(interface, app, *extra):
    def command(ctx):
        return [str(ctx.uring_python), "-m", "uring_granian", "--interface", interface, *_listen(ctx),
                "--workers", str(ctx.placement.workers), "--runtime-threads", "1", *extra, app]
    return command


def _granian(interface, app, *extra, websockets=False):
    # One worker (more only in the scaling scenario) and one runtime thread: the configuration issue 3 compares
    # against.
    def command(ctx):
        return [_peer("granian"), "--interface", interface, *_listen(ctx),
                "--workers", str(ctx.placement.workers), "--runtime-threads", "1", "--ws" if websockets else "--no-ws", "--log-level", "warning", *extra, app]
    return command


def _granian_static(ctx):
    return _granian("asgi", "asgi_app:app", "--static-path-route", "/static", "--static-path-mount",
                    str(ctx.static_root / "static"))(ctx)


def _uring_granian_static_route(*extra):
    """The engine's static route (--static-path-mount), answered on the reactor; `extra` turns observers on."""
    def command(ctx):
        return _uring_granian("asgi", "asgi_app:app", "--static-path-route", "/static", "--static-path-mount",
                              str(ctx.static_root / "static"), *extra)(ctx)
    return command


def _uvicorn(loop, http, app, *extra):
    def command(ctx):
        return [_peer("uvicorn"), *_listen(ctx), "--loop", loop, "--http", http, "--no-access-log",
                "--log-level", "warning", *extra, app]
    return command


def _wsload_echo(ctx):
    from .loadgen import WSLOAD, wsload_python
    return [wsload_python(), str(WSLOAD), "--host", HOST, "--serve", str(ctx.port)]


def _uwsgi_command(ctx):
    # --http11-socket speaks HTTP/1.1 with keep-alive natively (no router process in front). A kept-alive
    # connection holds its thread, so with 64 connections one thread managed 4.3k req/s and eight 11.7k:
    # eight threads, as gunicorn gthread gets.
    return ["uwsgi", "--plugin", "python3", "--http11-socket", _bind(ctx), "--chdir", str(APPS),
            "--module", "wsgi_app:app", "--processes", "1", "--threads", "8", "--master", "--disable-logging",
            "--need-app", "--die-on-term", "--so-keepalive", "--listen", "1024"]


def _gunicorn(worker_class, *extra):
    def command(ctx):
        return [_peer("gunicorn"), "-b", _bind(ctx), "-w", "1", "-k", worker_class, "--keep-alive", "75",
                "--log-level", "warning", *extra, "wsgi_app:app"]
    return command


def _granian_17(ctx):
    return [str(GRANIAN_17_VENV / "bin" / "granian"), "--interface", "asgi", *_listen(ctx), "--workers", "1",
            "--threads", "1", "--task-impl", "rust", "--no-ws", "--log-level", "warning", "quart_app:app"]


def _uring_serve_version(ctx):
    # The binary has no --version; its build time and the tree's commit tell which engine ran.
    built = datetime.datetime.fromtimestamp(ctx.uring_serve.stat().st_mtime, datetime.timezone.utc)
    commit = _run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    return f"{ctx.uring_serve} built {built.isoformat(timespec='seconds')}, tree at {commit}"


def _before_app(command, *options):
    """The command with OPTIONS before its last argument (uring_granian's app)."""
    def with_options(ctx):
        argv = command(ctx)
        return [*argv[:-1], *options, argv[-1]]
    return with_options


def _on_backend(command, backend, *, before_last=False):
    """The command with --io-backend BACKEND at its end, or before its last argument (uring_granian's app)."""
    if before_last:
        return _before_app(command, "--io-backend", backend)
    return lambda ctx: [*command(ctx), "--io-backend", backend]


def _uring_serve_commands(backend):
    return {
        "engine": _on_backend(lambda ctx: [str(ctx.uring_serve), *_listen(ctx), "--threads", "1"], backend),
        "static": _on_backend(lambda ctx: [str(ctx.uring_serve), *_listen(ctx), "--threads", "1",
                                           "--root", str(ctx.static_root)], backend),
        "ws": _on_backend(lambda ctx: [str(ctx.uring_serve), *_listen(ctx), "--threads", "1", "--ws-echo"], backend),
    }


def _uring_granian_commands(backend):
    return {
        "asgi": _on_backend(_uring_granian("asgi", "asgi_app:app"), backend, before_last=True),
        # --http auto (the default) takes h2c by prior knowledge on the same port, and h2 by ALPN on TLS.
        "asgi-h2": _on_backend(_uring_granian("asgi", "asgi_app:app"), backend, before_last=True),
        "asgi-h2-tls": _with_tls(_on_backend(_uring_granian("asgi", "asgi_app:app"), backend, before_last=True),
                                 "--ssl-certificate", "--ssl-keyfile", before_last=True),
        "static": _on_backend(_uring_granian("asgi", "asgi_app:app"), backend, before_last=True),
        "wsgi": _on_backend(_uring_granian("wsgi", "wsgi_app:app", "--blocking-threads", "1"), backend,
                            before_last=True),
        "soak": _on_backend(_uring_granian("asgi", "quart_app:app"), backend, before_last=True),
        "quart": _on_backend(_uring_granian("asgi", "quart_app:app"), backend, before_last=True),
        "django": _on_backend(_uring_granian("asgi", "django_app:application"), backend, before_last=True),
        "soak-django": _on_backend(_uring_granian("asgi", "django_app:application"), backend, before_last=True),
        "django-wsgi": _on_backend(_uring_granian("wsgi", "django_app:wsgi_application", "--blocking-threads", "1"),
                                   backend, before_last=True),
        "ws": _on_backend(_uring_granian("asgi", "ws_app:app"), backend, before_last=True),
    }


# Each of the project's servers twice: on io_uring (the plain names) and on the epoll backend (-epoll), the one
# that runs where io_uring is refused.
def _project_servers():
    for backend, suffix in (("io_uring", ""), ("epoll", "-epoll")):
        yield Server("uring-serve" + suffix, PROJECT, _uring_serve_commands(backend),
                     lambda ctx: _missing_file(ctx.uring_serve, "build it: cmake --build build-perf --target uring-serve"),
                     lambda ctx, backend=backend: f"{_uring_serve_version(ctx)}, --io-backend {backend}")
        yield Server("uring_granian" + suffix, PROJECT, _uring_granian_commands(backend), _missing_uring_python,
                     lambda ctx, backend=backend: _python_reports(ctx.uring_python, "uring_granian")
                     + f", --io-backend {backend}")
    # The reactor on the event loop's thread: the ASGI and WebSocket scenarios (WSGI has no st mode).
    asgi_commands = {kind: command for kind, command in _uring_granian_commands("io_uring").items()
                     if kind not in ("wsgi", "django-wsgi")}
    yield Server("uring_granian-st", PROJECT, _with_options(asgi_commands, "--runtime-mode", "st"),
                 _missing_uring_python,
                 lambda ctx: _python_reports(ctx.uring_python, "uring_granian") + ", --io-backend io_uring, st")


def _with_options(commands, *options):
    """uring_granian's commands with OPTIONS before the app (its last argument)."""
    return {kind: _before_app(command, *options) for kind, command in commands.items()}


SERVERS = {
    server.name: server
    for server in [
        *_project_servers(),
        # glibc malloc as it comes (issue 14's before): the default worker tunes it for large bodies.
        Server("uring_granian-no-tune", PROJECT, _with_options(_uring_granian_commands("io_uring"), "--no-tune-allocator"),
               _missing_uring_python, lambda ctx: _python_reports(ctx.uring_python, "uring_granian")
               + ", --no-tune-allocator"),
        # The static route with no observer, with the access log (static answers cross to Python to be logged) and
        # with the request metrics (counted in Python; the metrics need the supervisor, which --workers 1 is here).
        Server("uring_granian-static-route", PROJECT, {"static": _uring_granian_static_route()},
               _missing_uring_python, lambda ctx: _python_reports(ctx.uring_python, "uring_granian")),
        Server("uring_granian-static-route-log", PROJECT,
               {"static": _uring_granian_static_route("--access-log")},
               _missing_uring_python, lambda ctx: _python_reports(ctx.uring_python, "uring_granian")),
        Server("uring_granian-static-route-metrics", PROJECT,
               {"static": _uring_granian_static_route("--metrics", "--metrics-port", "0")},
               _missing_uring_python, lambda ctx: _python_reports(ctx.uring_python, "uring_granian")),
        Server("nginx", PEER, {"engine": _nginx_command, "static": _nginx_command},
               lambda ctx: None if shutil.which("nginx") else "nginx not installed (apt-get install nginx-light)",
               lambda ctx: _run_text(["nginx", "-v"])),
        Server("granian", PEER, {
            "asgi": _granian("asgi", "asgi_app:app"),
            "asgi-h2": _granian("asgi", "asgi_app:app", "--http", "2"),
            "asgi-h2-tls": _with_tls(_granian("asgi", "asgi_app:app", "--http", "2"), "--ssl-certificate",
                                     "--ssl-keyfile", before_last=True),
            "static": _granian_static,
            "wsgi": _granian("wsgi", "wsgi_app:app", "--blocking-threads", "1"),
            "soak": _granian("asgi", "quart_app:app"),
            "quart": _granian("asgi", "quart_app:app"),
            "django": _granian("asgi", "django_app:application"),
            "soak-django": _granian("asgi", "django_app:application"),
            "django-wsgi": _granian("wsgi", "django_app:wsgi_application", "--blocking-threads", "1"),
            "ws": _granian("asgi", "ws_app:app", websockets=True),
        }, lambda ctx: _missing_peer("granian"), lambda ctx: _python_reports(_peer("python"), "granian")),
        Server("uvicorn", PEER, {
            "asgi": _uvicorn("uvloop", "httptools", "asgi_app:app"),
            "soak": _uvicorn("uvloop", "httptools", "quart_app:app"),
            "quart": _uvicorn("uvloop", "httptools", "quart_app:app"),
            "django": _uvicorn("uvloop", "httptools", "django_app:application"),
            "soak-django": _uvicorn("uvloop", "httptools", "django_app:application"),
            "ws": _uvicorn("uvloop", "httptools", "ws_app:app", "--ws", "websockets"),
        }, lambda ctx: _missing_peer("uvicorn"), lambda ctx: _python_reports(_peer("python"), "uvicorn")),
        Server("uvicorn-wsproto", PEER, {"ws": _uvicorn("uvloop", "httptools", "ws_app:app", "--ws", "wsproto")},
               lambda ctx: _missing_peer("uvicorn"),
               lambda ctx: _python_reports(_peer("python"), "uvicorn") + ", " +
               _python_reports(_peer("python"), "wsproto").split(" (")[0] + " wsproto"),
        Server("uvicorn-h11", PEER, {"asgi": _uvicorn("asyncio", "h11", "asgi_app:app")},
               lambda ctx: _missing_peer("uvicorn"), lambda ctx: _python_reports(_peer("python"), "uvicorn")),
        Server("hypercorn", PEER, {
            "asgi": lambda ctx: [_peer("hypercorn"), "--bind", _bind(ctx), "--workers", "1", "asgi_app:app"],
            # hypercorn takes h2c by prior knowledge on a plain port without options.
            "asgi-h2": lambda ctx: [_peer("hypercorn"), "--bind", _bind(ctx), "--workers", "1", "asgi_app:app"],
            # With a certificate hypercorn offers h2 by ALPN.
            "asgi-h2-tls": _with_tls(lambda ctx: [_peer("hypercorn"), "--bind", _bind(ctx), "--workers", "1",
                                                  "asgi_app:app"], "--certfile", "--keyfile", before_last=True),
        }, lambda ctx: _missing_peer("hypercorn"), lambda ctx: _python_reports(_peer("python"), "hypercorn")),
        Server("gunicorn-sync", PEER, {"wsgi": _gunicorn("sync")},
               lambda ctx: _missing_peer("gunicorn"), lambda ctx: _python_reports(_peer("python"), "gunicorn")),
        Server("gunicorn-gthread", PEER, {"wsgi": _gunicorn("gthread", "--threads", "8")},
               lambda ctx: _missing_peer("gunicorn"), lambda ctx: _python_reports(_peer("python"), "gunicorn")),
        Server("uwsgi", PEER, {"wsgi": _uwsgi_command},
               lambda ctx: None if shutil.which("uwsgi") and Path("/usr/lib/uwsgi/plugins/python3_plugin.so").exists()
               else "uwsgi or its python3 plugin not installed (apt-get install uwsgi uwsgi-plugin-python3)",
               lambda ctx: "uWSGI " + _run_text(["uwsgi", "--version"]) + " (Debian python3 plugin)"),
        Server("wsload-echo", REFERENCE, {"ws": _wsload_echo}, lambda ctx: None,
               lambda ctx: "benchkit/wsload.py --serve (the client's reference echo server, Python "
                           + _run_text([_wsload_echo(ctx)[0], "-c", "import sys; print(sys.version.split()[0])"])
                           + ")"),
        Server("granian-1.7", PEER, {"soak": _granian_17},
               lambda ctx: _missing_file(GRANIAN_17_VENV / "bin" / "granian", "run `perf/bench --setup-peers`"),
               lambda ctx: _python_reports(GRANIAN_17_VENV / "bin" / "python", "granian") + " --task-impl rust"),
    ]
}


def server_environment(ctx):
    """Environment for every server: apps importable by module name, static root for the ASGI app."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(APPS)
    env["PERF_STATIC_ROOT"] = str(ctx.static_root / "static")
    env.pop("PYTHONHOME", None)
    return env


def this_python():
    return sys.version.split()[0]
