"""`--workers N`: N worker processes serving the same address, watched by this (supervisor) process.

Why re-exec (`python -m uring_granian` with the settings in an environment variable) rather than fork: the engine
and the app's event loop must start in a fresh interpreter (no inherited rings, threads or loop), and a plain child
process keeps signals simple: each worker gets its own process group, so a terminal's Ctrl-C reaches only the
supervisor, which forwards exactly one SIGINT. The supervisor binds the address once (after checking that no other
server listens there), one SO_REUSEPORT socket per worker slot, and each worker accepts from its slot's inherited
socket (see _bind_shared_socket): a worker that stops leaves the connections queued there to its replacement.

Lifecycle:
- start: spawn N workers; each reports on a pipe "ready" once its server listens, or "error <line>" and exits 1.
  A worker that fails at startup stops everything with that worker's one-line error (exit 1).
- a worker dies: with --respawn-failed-workers a new one takes its place, else the server stops with exit 1.
- SIGINT/SIGTERM: the supervisor closes its copies of the listening sockets, then forwards the signal to every worker
  (each accepts what is queued on its socket, closes it, finishes in-flight requests and runs lifespan shutdown);
  after graceful_timeout + workers_kill_timeout seconds the stragglers get SIGKILL.
- SIGHUP: rolling restart; for each worker, start its replacement, wait until it is ready, then stop the old one
  gracefully, so there are always N workers accepting. The old one stops accepting, answers each request still
  arriving on its keep-alive connections with Connection: close, and closes idle ones after a short grace. --workers-lifetime (a worker too old), --workers-max-rss
  (VmRSS sampled every second above the limit) and --reload (a source file changed, reloader.py) replace workers
  the same way, one at a time.
- --metrics: workers write snapshots to a private directory; metrics.py serves them with what the supervisor knows.

The supervisor also runs with one worker when an option needs it (Config.supervised): --reload, --metrics,
--workers-lifetime, --workers-max-rss.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import selectors
import signal
import socket
import stat
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from .config import Config
from .constants import EXIT_FAILURE, EXIT_OK
from .errors import StartupError
from .logging import configure_logging, logger
from .process import die_with_parent, resident_bytes, set_process_name, worker_process_name

if TYPE_CHECKING:
    from .worker_metrics import SnapshotWriter

__all__ = ["WORKER_ENV", "Supervisor", "WorkerFailedError", "worker_main"]

# JSON hand-over: {"config", "sys_path", "ready_fd", "index", "parent", "metrics_dir"}
WORKER_ENV = "URING_GRANIAN_WORKER"
# Used when --workers-kill-timeout is not given: how long after the graceful timeout a worker may still take.
DEFAULT_KILL_MARGIN_S = 10.0
# How often the supervisor looks at its workers' age and memory.
SAMPLE_INTERVAL_S = 1.0
_READY = b"ready"
_ERROR = b"error "


class WorkerFailedError(RuntimeError):
    """A worker could not start; str() is the worker's own one-line error."""


@dataclass
class Worker:
    index: int  # slot number 1..N, kept by replacements (log lines and process names)
    process: subprocess.Popen[bytes]
    ready_fd: int | None  # read end of the readiness pipe, until EOF
    started_at: float = field(default_factory=time.monotonic)
    ready: bool = False
    stopping: bool = False
    message: bytes = b""  # what the worker wrote on its readiness pipe

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    @property
    def error(self) -> str:
        text = self.message.decode("utf-8", "replace")
        line = next((x for x in text.splitlines() if x.startswith(_ERROR.decode())), "")
        return line[len(_ERROR) :].strip()


class Supervisor:
    def __init__(self, config: Config) -> None:
        if not isinstance(config.app, str):
            raise WorkerFailedError("workers > 1 needs the application as an import string (module:attr)")
        self.config = config
        self.workers: list[Worker] = []
        self.status = EXIT_OK
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._signals: list[int] = []
        self._stop_signal: int | None = None
        self._reload_requested = False
        self._extra_stop_signals = 0  # stop signals received while already stopping: do not wait any longer
        # Listening sockets bound here once and inherited: one per worker slot (TCP) or one for all (Unix).
        self._shared_sockets: list[socket.socket] = []
        self.restarts: Counter[str] = Counter()  # by reason: failed, lifetime, max_rss, reload, signal
        self._respawns: list[tuple[float, int]] = []  # (due time, slot) of workers that died, waiting to return
        self._next_sample = 0.0
        self._reloader: Any = None  # reloader.Reloader with --reload
        self._metrics_dir: str | None = None
        self._metrics_server: Any = None  # metrics.MetricsServer with --metrics

    # --- public ------------------------------------------------------------------------------------------------
    def run(self) -> int:
        """Start the workers and watch them until a stop signal or a fatal worker death; returns the exit status."""
        previous = self._install_signal_handlers()
        try:
            try:
                self._check_port()
                self._bind_shared_socket()
                self._start_metrics()
                self._start_all()
                self._start_reloader()
            except BaseException:
                self._stop_all(quiet=True)  # the failing worker's error is the whole story
                raise
            logger.info(
                "Supervisor %d ready: %d workers on %s (SIGHUP restarts them one at a time)",
                os.getpid(),
                len(self.workers),
                self.config.bind_description,
            )
            while self._stop_signal is None:
                self._tick(self._tick_timeout())
                if self._reload_requested:
                    self._reload_requested = False
                    self._rolling_restart()
                self._handle_deaths()
                self._respawn_due()
                self._check_source_changes()
                self._check_age_and_memory()
        finally:
            self._stop_all()
            self._restore_signal_handlers(previous)
            self._selector.close()
            self._wake_reader.close()
            self._wake_writer.close()
            self._close_shared_socket()
            self._close_reloader()
            self._close_metrics()
        return self.status

    # --- starting --------------------------------------------------------------------------------------------------
    def _check_port(self) -> None:
        """TCP: fail here, once, when another server already listens on the port: _bind_tcp sets SO_REUSEPORT, so
        without this check it would join another server's SO_REUSEPORT listener and silently share its connections.
        The engine's check, with its one-line error; the workers skip it (they adopt the sockets bound here)."""
        if self.config.uds is not None or self.config.fd is not None:
            return
        from . import _native
        from .http import EngineSettings

        _native.ensure_port_free(EngineSettings.from_config(self.config))

    def _bind_shared_socket(self) -> None:
        """Bind the address here, once, and let the workers inherit the listening sockets.

        TCP: one SO_REUSEPORT socket per worker slot (the kernel spreads new connections over them, as it would
        over sockets the workers bound themselves), held here for the server's whole life. A worker and its
        replacement accept from the same socket: the draining one stops accepting and what is queued stays for
        the new one, where closing a worker's own socket would reset the connections queued on it. (The other
        fix, net.ipv4.tcp_migrate_req=1, moves a closing socket's queue to its siblings, but it is a host-wide
        sysctl that needs root; perf/results/ has both measured, and one socket shared by all workers, which
        keeps the queue too, left the load on whichever worker woke first: 64 of 64 connections on one.)
        Unix: one socket for all workers, since a path can be bound by one socket only.
        """
        if self.config.fd is not None:
            return
        if self.config.uds is not None:
            self._shared_sockets = [self._bind_unix(self.config.uds)]
        else:
            self._shared_sockets = [self._bind_tcp() for _ in range(self._worker_count())]

    def _listen_fd(self, index: int) -> int | None:
        """The inherited listening socket of worker slot `index` (1..N), or None (--fd: the given one)."""
        if not self._shared_sockets:
            return None
        return self._shared_sockets[(index - 1) % len(self._shared_sockets)].fileno()

    def _worker_count(self) -> int:
        return 1 if self.config.reload else self.config.workers

    def _bind_unix(self, path: str) -> socket.socket:
        _remove_stale_unix_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(path)
            if self.config.uds_permissions is not None:
                os.chmod(path, self.config.uds_permissions)
            sock.listen(self.config.backlog)
        except OSError as exc:
            sock.close()
            raise _startup_error(f"cannot listen on unix:{path}: {exc.strerror}") from exc
        return sock

    def _bind_tcp(self) -> socket.socket:
        """As the engine binds its own (first getaddrinfo answer, SO_REUSEADDR, SO_REUSEPORT, TCP_NODELAY inherited
        by accepted sockets); _check_port made sure no other server listens there."""
        where = self.config.bind_description
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.config.host or None, self.config.port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
            )[0]
        except socket.gaierror as exc:
            raise _startup_error(f'cannot resolve host "{self.config.host}": {exc.strerror}') from exc
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(address)
            sock.listen(self.config.backlog)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise _startup_error(f"address {where} is already in use") from exc
            raise _startup_error(f"cannot listen on {where}: {exc.strerror}") from exc
        return sock

    def _close_shared_socket(self) -> None:
        for sock in self._shared_sockets:
            sock.close()
        if self._shared_sockets and self.config.uds is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.config.uds)
        self._shared_sockets = []

    def _spawn(self, index: int) -> Worker:
        ready_read, ready_write = os.pipe()
        listen_fd = self._listen_fd(index)
        config = self.config if listen_fd is None else self.config.replace(fd=listen_fd)
        inherited = (ready_write,) if config.fd is None else (ready_write, config.fd)
        payload = {
            "config": config.to_dict(),
            "sys_path": [p for p in sys.path if p],
            "ready_fd": ready_write,
            "index": index,
            "parent": os.getpid(),
            "metrics_dir": self._metrics_dir,
        }
        env = dict(os.environ)
        env[WORKER_ENV] = json.dumps(payload)
        # The worker runs `python -m uring_granian`: make sure it finds this very package first.
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "uring_granian"], env=env, pass_fds=inherited, process_group=0
            )
        finally:
            os.close(ready_write)
        os.set_blocking(ready_read, False)
        worker = Worker(index=index, process=process, ready_fd=ready_read)
        self._selector.register(ready_read, selectors.EVENT_READ, worker)
        self.workers.append(worker)
        logger.debug("Spawned worker %d (pid %d)", index, process.pid)
        return worker

    def _start_all(self) -> None:
        count = self._worker_count()
        if count < self.config.workers:
            logger.warning("--reload runs one worker process; ignoring --workers %d", self.config.workers)
        for index in range(1, count + 1):
            self._spawn(index)
        while self._stop_signal is None and not all(w.ready for w in self.workers):
            self._tick(0.5)
            failed = next((w for w in self.workers if w.exited and not w.ready), None)
            if failed is not None:
                raise WorkerFailedError(
                    failed.error
                    or f"worker {failed.index} exited during startup ({_describe_status(failed.process.returncode)})"
                )
        for worker in self.workers:
            logger.info("Worker %d (pid %d) ready", worker.index, worker.pid)

    def _wait_ready(self, worker: Worker) -> bool:
        while self._stop_signal is None and not worker.ready and not worker.exited:
            self._tick(0.5)
        return worker.ready

    # --- watching ------------------------------------------------------------------------------------------------
    def _tick(self, timeout: float) -> None:
        """Wait up to `timeout` for a signal or a readiness message, then handle signals and reap exited workers."""
        for key, _ in self._selector.select(timeout):
            if key.data is None:
                _drain(self._wake_reader)
            elif isinstance(key.data, Worker):
                self._read_ready_pipe(key.data)
            else:
                key.data.read_events()  # the reloader's inotify fd
        self._handle_signals()
        for worker in self.workers:
            worker.process.poll()

    def _read_ready_pipe(self, worker: Worker) -> None:
        assert worker.ready_fd is not None  # registered only while open
        try:
            chunk = os.read(worker.ready_fd, 4096)
        except BlockingIOError:
            return
        worker.message += chunk
        if worker.message.startswith(_READY):
            worker.ready = True
        if not chunk:
            self._close_ready_pipe(worker)

    def _close_ready_pipe(self, worker: Worker) -> None:
        if worker.ready_fd is not None:
            self._selector.unregister(worker.ready_fd)
            os.close(worker.ready_fd)
            worker.ready_fd = None

    def _handle_deaths(self) -> None:
        for worker in [w for w in self.workers if w.exited and not w.stopping]:
            self._forget(worker)
            status = _describe_status(worker.process.returncode)
            if not self.config.respawn_failed_workers:
                logger.error("Worker %d (pid %d) died (%s); stopping", worker.index, worker.pid, status)
                self.status = EXIT_FAILURE
                self._stop_signal = signal.SIGTERM
                return
            if self.config.reload:
                logger.error(
                    "Worker %d (pid %d) died (%s); waiting for a file change to start it again",
                    worker.index,
                    worker.pid,
                    status,
                )
                continue
            logger.warning(
                "Worker %d (pid %d) died (%s); respawning in %gs",
                worker.index,
                worker.pid,
                status,
                self.config.respawn_interval,
            )
            # A timer, not a sleep: signals and the other workers are still handled while the slot waits.
            self._respawns.append((time.monotonic() + self.config.respawn_interval, worker.index))

    def _respawn_due(self) -> None:
        now = time.monotonic()
        for entry in sorted(self._respawns):
            due, index = entry
            if due > now or self._stop_signal is not None:
                continue
            self._respawns.remove(entry)
            replacement = self._spawn(index)
            self.restarts["failed"] += 1
            if self._wait_ready(replacement):
                logger.info("Worker %d (pid %d) ready", replacement.index, replacement.pid)

    def _tick_timeout(self) -> float:
        """Until the next thing the loop must do by itself: a due respawn, a sample, a debounced reload."""
        timeout = SAMPLE_INTERVAL_S
        if self._respawns:
            timeout = min(timeout, max(0.0, min(due for due, _ in self._respawns) - time.monotonic()))
        if self._reloader is not None and self._reloader.change_pending:
            from .reloader import DEBOUNCE_S

            timeout = min(timeout, DEBOUNCE_S / 2)
        return timeout

    def _forget(self, worker: Worker) -> None:
        self._close_ready_pipe(worker)
        if worker in self.workers:
            self.workers.remove(worker)
        if self._metrics_dir is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self._metrics_dir, f"{worker.pid}.json"))

    # --- restarting and stopping -----------------------------------------------------------------------------
    def _rolling_restart(self, reason: str = "signal") -> None:
        logger.info("Restarting %d workers one at a time", len(self.workers))
        for old in [w for w in self.workers if not w.exited]:
            if not self._replace(old, reason) or self._stop_signal is not None:
                return
        logger.info("Rolling restart done")

    def _replace(self, old: Worker, reason: str) -> bool:
        """Start `old`'s replacement, wait until it listens, then stop `old` gracefully: the address never lacks
        a worker and `old` finishes its in-flight requests. False (and `old` kept) when the replacement fails."""
        replacement = self._spawn(old.index)
        if not self._wait_ready(replacement):
            if self._stop_signal is None:
                logger.error(
                    "Replacement for worker %d failed to start (%s); keeping the running workers",
                    old.index,
                    replacement.error or _describe_status(replacement.process.returncode),
                )
                self._stop([replacement], signal.SIGTERM)
            return False
        self.restarts[reason] += 1
        logger.info("Worker %d (pid %d) ready, replacing pid %d", replacement.index, replacement.pid, old.pid)
        self._stop([old], signal.SIGTERM)
        return True

    def _check_age_and_memory(self) -> None:
        """--workers-lifetime and --workers-max-rss: replace at most one worker per turn (one at a time)."""
        lifetime, max_rss_mib = self.config.workers_lifetime, self.config.workers_max_rss
        now = time.monotonic()
        if (lifetime is None and max_rss_mib is None) or now < self._next_sample or self._stop_signal is not None:
            return
        self._next_sample = now + SAMPLE_INTERVAL_S
        for worker in [w for w in self.workers if w.ready and not w.stopping and not w.exited]:
            if lifetime is not None and now - worker.started_at >= lifetime:
                logger.info("Worker %d (pid %d) reached its lifetime of %ds", worker.index, worker.pid, lifetime)
                self._replace(worker, "lifetime")
                return
            resident = resident_bytes(worker.pid) if max_rss_mib is not None else None
            if max_rss_mib is not None and resident is not None and resident > max_rss_mib * 1024 * 1024:
                logger.warning(
                    "Worker %d (pid %d) uses %d MiB, above --workers-max-rss %d MiB; replacing it",
                    worker.index,
                    worker.pid,
                    resident // (1024 * 1024),
                    max_rss_mib,
                )
                self._replace(worker, "max_rss")
                return

    # --- reload ------------------------------------------------------------------------------------------------
    def _start_reloader(self) -> None:
        if not self.config.reload:
            return
        from .reloader import Reloader, app_directories

        roots = list(self.config.reload_paths or app_directories(str(self.config.app)))
        try:
            self._reloader = Reloader(roots)
        except OSError as exc:
            raise StartupError(f"--reload: cannot watch {', '.join(roots)}: {exc.strerror}") from exc
        self._selector.register(self._reloader.fileno(), selectors.EVENT_READ, self._reloader)
        logger.info(
            "Watching %s for changes to .py files (%d directories)",
            ", ".join(roots),
            self._reloader.watched_directories,
        )

    def _check_source_changes(self) -> None:
        if self._reloader is None or self._stop_signal is not None:
            return
        changed = self._reloader.take_change()
        if changed is None:
            return
        shown = ", ".join(os.path.relpath(p) for p in changed[:3]) + (" ..." if len(changed) > 3 else "")
        logger.info("Detected changes in %s; reloading", shown)
        running = [w for w in self.workers if not w.exited and not w.stopping]
        if running:
            for worker in running:
                if not self._replace(worker, "reload"):
                    return
            return
        # The worker died (a broken edit): start it again with the new code.
        worker = self._spawn(1)
        self.restarts["reload"] += 1
        if self._wait_ready(worker):
            logger.info("Worker %d (pid %d) ready", worker.index, worker.pid)
        elif self._stop_signal is None:
            logger.error("Worker failed to start (%s); waiting for a file change", worker.error or "see above")
            self._stop([worker], signal.SIGTERM, quiet=True)

    def _close_reloader(self) -> None:
        if self._reloader is not None:
            self._reloader.close()
            self._reloader = None

    # --- metrics -----------------------------------------------------------------------------------------------
    def _start_metrics(self) -> None:
        if not self.config.metrics:
            return
        from .metrics import MetricsServer

        self._metrics_dir = tempfile.mkdtemp(prefix="uring-granian-metrics-")
        self._metrics_server = MetricsServer(
            self.config.metrics_address, self.config.metrics_port, self._metrics_view, self._metrics_dir
        )
        self._metrics_server.start()
        logger.info(
            "Metrics at http://%s:%d/metrics",
            f"[{self.config.metrics_address}]" if ":" in self.config.metrics_address else self.config.metrics_address,
            self._metrics_server.port,
        )

    def _metrics_view(self) -> Any:
        """Called on the metrics thread: copies of what it reads (the main thread changes them)."""
        from .metrics import SupervisorView, WorkerView

        workers = [WorkerView(w.index, w.pid) for w in list(self.workers) if w.ready and not w.exited]
        return SupervisorView(workers=workers, restarts=dict(self.restarts))

    def _close_metrics(self) -> None:
        if self._metrics_server is not None:
            self._metrics_server.close()
            self._metrics_server = None
        if self._metrics_dir is not None:
            shutil.rmtree(self._metrics_dir, ignore_errors=True)
            self._metrics_dir = None

    def _stop_all(self, quiet: bool = False) -> None:
        # Our copies of the listening sockets go first: each worker's drain accepts what is queued on its own, then
        # closes it, and the last close makes new connections refused at once. Held here until the workers exit,
        # they would go on queueing connections that nobody accepts, reset at the end. (The path of a Unix socket
        # is unlinked in _close_shared_socket, after the workers.)
        for sock in self._shared_sockets:
            sock.close()
        alive = [w for w in self.workers if not w.exited]
        if alive and not quiet:
            logger.info("Stopping %d workers", len(alive))
        if not self._stop([*self.workers], self._stop_signal or signal.SIGTERM, quiet):
            self.status = EXIT_FAILURE

    def _stop(self, workers: list[Worker], signum: int, quiet: bool = False) -> bool:
        """Send `signum` to `workers`, wait for them to exit (SIGKILL after the graceful + kill timeouts, or at a
        second stop signal) and forget them. True when every one of them exited with status 0."""
        for worker in workers:
            worker.stopping = True
            if not worker.exited:
                _send(worker, signum)
        kill_margin = self.config.workers_kill_timeout or DEFAULT_KILL_MARGIN_S
        deadline = time.monotonic() + self.config.graceful_timeout + kill_margin
        while any(not w.exited for w in workers):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._extra_stop_signals > 0:
                for worker in workers:
                    if not worker.exited:
                        logger.warning("Killing worker %d (pid %d)", worker.index, worker.pid)
                        _send(worker, signal.SIGKILL)
                        worker.process.wait()
                break
            self._tick(min(remaining, 0.2))
        clean = True
        for worker in workers:
            # A worker still starting has no handler for the stop signal yet: dying of it is its clean stop.
            stopped_while_starting = not worker.ready and worker.process.returncode == -signum
            if worker.process.returncode != 0 and not stopped_while_starting:
                clean = False
                logger.log(
                    logging.DEBUG if quiet else logging.WARNING,
                    "Worker %d (pid %d) stopped with %s",
                    worker.index,
                    worker.pid,
                    _describe_status(worker.process.returncode),
                )
            self._forget(worker)
        return clean

    # --- signals ---------------------------------------------------------------------------------------------------
    def _install_signal_handlers(self) -> dict[int, Any]:
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        previous: dict[int, Any] = {"wakeup_fd": signal.set_wakeup_fd(self._wake_writer.fileno())}
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, Any]) -> None:
        signal.set_wakeup_fd(previous.pop("wakeup_fd"))
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)  # handled by _tick, outside the signal handler

    def _handle_signals(self) -> None:
        while self._signals:
            signum = self._signals.pop(0)
            if signum in (signal.SIGINT, signal.SIGTERM):
                if self._stop_signal is None:
                    logger.info("Received %s; stopping gracefully", signal.Signals(signum).name)
                    self._stop_signal = signum
                else:
                    self._extra_stop_signals += 1
            elif signum == signal.SIGHUP and self._stop_signal is None:
                self._reload_requested = True


def _remove_stale_unix_socket(path: str) -> None:
    """Unlink a socket file left by a server that is gone; a live one means the address is in use."""
    if not os.path.exists(path):
        return
    if not stat.S_ISSOCK(os.stat(path).st_mode):
        raise _startup_error(f"cannot listen on unix:{path}: the path exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # nobody listens: stale
            return
    raise _startup_error(f"cannot listen on unix:{path}: address already in use")


def _startup_error(message: str) -> Exception:
    return StartupError(message)


def _send(worker: Worker, signum: int) -> None:
    try:
        worker.process.send_signal(signum)
    except ProcessLookupError:
        pass


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except BlockingIOError:
        pass


def _describe_status(returncode: int | None) -> str:
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


# --- the worker side ---------------------------------------------------------------------------------------------
class _ReadyChannel:
    """The write end of the readiness pipe: one message, then closed."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        os.set_inheritable(fd, False)  # the app's own subprocesses must not hold it open

    def notify(self) -> None:
        self._send(_READY + b"\n")

    def fail(self, message: str) -> None:
        self._send(_ERROR + " ".join(message.split()).encode("utf-8", "replace") + b"\n")

    def _send(self, data: bytes) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, data)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
        finally:
            os.close(self._fd)
            self._fd = None


def worker_main() -> int:
    """Body of a worker process (see `Supervisor._spawn`); returns its exit status."""
    payload = json.loads(os.environ.pop(WORKER_ENV))
    ready = _ReadyChannel(payload["ready_fd"])
    # A worker must not outlive a supervisor that was SIGKILLed.
    if not die_with_parent(payload["parent"], signal.SIGTERM):
        return EXIT_FAILURE
    parent_path: list[str] = payload["sys_path"]
    sys.path[:] = parent_path + [p for p in sys.path if p not in parent_path]
    # `workers` stays as the supervisor has it (a worker runs run_worker directly, never a supervisor): the
    # app sees how many processes serve it (wsgi.multiprocess).
    config = Config.from_dict(payload["config"]).replace(reload=False, reload_paths=None, metrics=False)
    set_process_name(worker_process_name(config.process_name, payload["index"]))
    # SIGHUP means "restart" to the supervisor only; a stray one must not kill a worker mid-request.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    from .importer import AppImportError, load_app
    from .main import ONE_LINE_ERRORS

    try:
        configure_logging(config)
        app = load_app(str(config.app), config.factory)
        from .server import run_worker

        metrics_dir = payload.get("metrics_dir")
        if metrics_dir is None:
            return _run_worker(run_worker, config, app, ready)
        from .worker_metrics import AppCounters, SnapshotWriter, counting_app

        counters = AppCounters()
        snapshots = SnapshotWriter(metrics_dir, payload["index"], counters)
        snapshots.start()
        try:
            return _run_worker(run_worker, config, counting_app(app, config.interface, counters), ready, snapshots)
        finally:
            snapshots.stop()
    except (AppImportError, *ONE_LINE_ERRORS) as exc:
        ready.fail(str(exc))
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - any failure must reach the supervisor as one line
        logger.exception("Worker failed")
        ready.fail(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILURE


def _run_worker(
    run_worker: Any, config: Config, app: Any, ready: _ReadyChannel, snapshots: SnapshotWriter | None = None
) -> int:
    import inspect

    parameters = inspect.signature(run_worker).parameters
    if "on_ready" in parameters:
        # The supervisor checked the port (Supervisor._check_port): the engine must not refuse it for a sibling.
        extra: dict[str, Any] = {"port_checked": True}
        if snapshots is not None and "on_server" in parameters:
            # The engine's per-reactor counters (connections, requests) for /metrics, read from the native server.
            extra["on_server"] = lambda server: snapshots.set_engine_stats(server.stats)
        return int(run_worker(config, app, on_ready=ready.notify, **extra))
    # Without a readiness callback from the server, "ready" can only mean "about to start": rolling restarts are
    # then not strictly free of failed requests.
    ready.notify()
    return int(run_worker(config, app))
