"""The named scenarios: which kind of server, which URL, which load tool, which servers by default."""

from dataclasses import dataclass, field
from pathlib import Path

from .servers import CONF

FILE_SIZES = {"static-50k.bin": 50 * 1024, "static-4m.bin": 4 * 1024 * 1024}
HELLO_LENGTH = len(b"Hello, World!")
ENGINE_SERVERS = ["uring-serve", "uring-serve-epoll", "nginx"]
STATIC_SERVERS = ["uring-serve", "uring-serve-epoll", "nginx", "uring_granian", "granian"]
ASGI_SERVERS = ["uring_granian", "uring_granian-epoll", "granian", "uvicorn", "uvicorn-h11", "hypercorn"]
WSGI_SERVERS = ["uring_granian", "granian", "gunicorn-gthread", "gunicorn-sync", "uwsgi"]
SWEEP_CONNECTIONS = [1, 16, 64, 256, 1024]
# The scaling scenario's worker counts; each runs where the machine has 2 CPUs per worker (benchkit/placement.py).
SCALING_WORKERS = [1, 2, 4, 8]
WS_SERVERS = ["uring-serve", "uring_granian", "granian", "uvicorn", "uvicorn-wsproto"]
FRAMEWORK_SERVERS = ["uring_granian", "uring_granian-epoll", "granian", "uvicorn"]
# HTTP/2 over cleartext (h2c by prior knowledge) and over TLS (ALPN); uvicorn speaks no HTTP/2.
H2C_SERVERS = ["uring_granian", "granian", "hypercorn"]
H2_SERVERS = H2C_SERVERS


@dataclass(frozen=True)
class WsMessage:
    """What the WebSocket client (benchkit/wsload.py) sends: message size and type, messages in flight."""
    size: int = 64
    binary: bool = False
    depth: int = 1

    def describe(self):
        return f"{self.size} B {'binary' if self.binary else 'text'}, {self.depth} in flight per connection"


@dataclass
class Scenario:
    name: str
    kind: str  # engine | static | asgi | asgi-h2 | wsgi | quart | django | django-wsgi | soak | soak-django | ws
    path: str
    tool: str  # wrk | h2load (HTTP/1.1) | h2load-h2c (HTTP/2 by prior knowledge, -m10) | h2load-h2 (TLS) | wsload
    connections: int
    servers: list
    description: str
    body_length: int = None  # expected response body length, checked by the primer
    post_body_length: int = 0  # > 0: POST this many bytes (wrk through perf/conf/post_64k.lua)
    sweep: list = field(default_factory=list)
    ws: WsMessage = None  # kind ws: the echoed messages
    # > [1]: run once per worker count, with `connections` and load-generator threads per worker (scaling)
    workers: list = field(default_factory=lambda: [1])

    def url(self, host, port):
        scheme = "ws" if self.kind == "ws" else "https" if self.protocol == "h2" else "http"
        return f"{scheme}://{host}:{port}{self.path}"

    @property
    def protocol(self):
        """h1, h2c (HTTP/2 by prior knowledge on plain TCP) or h2 (HTTP/2 over TLS, chosen by ALPN)."""
        return {"h2load-h2c": "h2c", "h2load-h2": "h2"}.get(self.tool, "h1")

    @property
    def lua_script(self):
        return Path(CONF / "post_64k.lua") if self.post_body_length else None


SCENARIOS = {
    scenario.name: scenario
    for scenario in [
        Scenario("hello", "engine", "/", "wrk", 64, ENGINE_SERVERS,
                 "engine hello: uring-serve vs nginx `return 200`", HELLO_LENGTH),
        Scenario("static-50k", "static", "/static/static-50k.bin", "wrk", 64, STATIC_SERVERS,
                 "a 50 KiB static file: uring-serve --root vs nginx sendfile, ASGI pathsend vs Granian static",
                 FILE_SIZES["static-50k.bin"]),
        Scenario("static-4m", "static", "/static/static-4m.bin", "h2load", 16, STATIC_SERVERS,
                 "a 4 MiB static file (h2load --h1)", FILE_SIZES["static-4m.bin"]),
        Scenario("asgi-hello", "asgi", "/", "wrk", 64, ASGI_SERVERS, "ASGI hello world", HELLO_LENGTH),
        Scenario("asgi-json", "asgi", "/json", "wrk", 64, ASGI_SERVERS, "ASGI 10 KiB JSON body"),
        Scenario("asgi-4mb", "asgi", "/4mb", "h2load", 16, ASGI_SERVERS, "ASGI 4 MB body (h2load --h1)",
                 4 * 1000 * 1000),
        Scenario("asgi-stream", "asgi", "/stream", "wrk", 64, ASGI_SERVERS,
                 "ASGI streaming: 16 chunks of 4 KiB, chunked encoding", 16 * 4096),
        Scenario("asgi-echo-64k", "asgi", "/echo", "wrk", 64, ASGI_SERVERS, "ASGI 64 KiB POST body echoed",
                 64 * 1024, post_body_length=64 * 1024),
        # The seed's framework cases (perf/apps/quart_app.py, django_app.py): Quart sends the 4 MB as one message
        # with more_body and an empty final one, Django as 64 KiB messages from a view run in a thread.
        Scenario("quart-4mb", "quart", "/4mb", "h2load", 16, FRAMEWORK_SERVERS, "Quart view returning a 4 MB str",
                 4 * 1000 * 1000),
        Scenario("django-4mb", "django", "/4mb", "h2load", 16, FRAMEWORK_SERVERS,
                 "Django (ASGI) sync view returning a 4 MB HttpResponse", 4 * 1000 * 1000),
        Scenario("django-wsgi-4mb", "django-wsgi", "/4mb", "h2load", 16, ["uring_granian", "granian"],
                 "Django (WSGI) sync view returning a 4 MB HttpResponse", 4 * 1000 * 1000),
        Scenario("wsgi-hello", "wsgi", "/", "wrk", 64, WSGI_SERVERS, "WSGI hello world", HELLO_LENGTH),
        Scenario("h2c-hello", "asgi-h2", "/", "h2load-h2c", 16, H2C_SERVERS,
                 "ASGI hello over h2c (h2load -c16 -m10)", HELLO_LENGTH),
        Scenario("h2c-64k", "asgi-h2", "/64k", "h2load-h2c", 16, H2C_SERVERS,
                 "ASGI 64 KiB body over h2c (h2load -c16 -m10)", 64 * 1024),
        Scenario("h2-hello", "asgi-h2-tls", "/", "h2load-h2", 16, H2_SERVERS,
                 "ASGI hello over HTTP/2 on TLS (ALPN h2, h2load -c16 -m10)", HELLO_LENGTH),
        Scenario("h2-64k", "asgi-h2-tls", "/64k", "h2load-h2", 16, H2_SERVERS,
                 "ASGI 64 KiB body over HTTP/2 on TLS (ALPN h2, h2load -c16 -m10)", 64 * 1024),
        Scenario("sweep", "asgi", "/", "wrk", 64, ASGI_SERVERS, "ASGI hello over 1..1024 connections",
                 HELLO_LENGTH, sweep=SWEEP_CONNECTIONS),
        Scenario("scaling", "asgi", "/", "wrk", 64, ["uring_granian", "granian"],
                 "ASGI hello on 1, 2, 4 and 8 workers, 64 connections and one wrk thread per worker, each worker count "
                 "where the machine has 2 CPUs per worker", HELLO_LENGTH, workers=SCALING_WORKERS),
        Scenario("ws-echo", "ws", "/", "wsload", 64, WS_SERVERS, "WebSocket echo, 64 B text messages (ASGI)",
                 ws=WsMessage()),
        Scenario("ws-echo-16k", "ws", "/", "wsload", 64, WS_SERVERS, "WebSocket echo, 16 KiB binary messages (ASGI)",
                 ws=WsMessage(16 * 1024, binary=True)),
    ]
}

SOAK = Scenario("soak", "soak", "/4mb", "h2load", 16, ["uring_granian", "granian", "uvicorn", "granian-1.7"],
                "Quart app returning a 4 MB string, RSS sampled every second", 4 * 1000 * 1000)
# `perf/bench soak --app django`: the seed's Django case (issue 14), 4 keep-alive clients as in its report.
SOAK_DJANGO = Scenario("soak-django", "soak-django", "/4mb", "h2load", 4, ["uring_granian", "granian", "uvicorn"],
                       "Django (ASGI) view returning a 4 MB HttpResponse, RSS sampled every second",
                       4 * 1000 * 1000)
SOAKS = {"quart": SOAK, "django": SOAK_DJANGO}
