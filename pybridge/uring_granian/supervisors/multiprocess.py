"""`--workers N`: N worker processes serving the same address, watched by this (supervisor) process.

Why re-exec (`python -m uring_granian` with the settings in an environment variable) rather than fork: the engine
and the app's event loop must start in a fresh interpreter (no inherited rings, threads or loop), and a plain child
process keeps signals simple: each worker gets its own process group, so a terminal's Ctrl-C reaches only the
supervisor, which forwards exactly one SIGINT. The supervisor binds the address once (after checking that no other
server listens there), one SO_REUSEPORT socket per worker slot, and each worker accepts from its slot's inherited
socket (see sockets.py): a worker that stops leaves the connections queued there to its replacement.

Lifecycle:
- start: spawn N workers; each reports on a pipe "ready" once its server listens, or "error <line>" and exits 1.
  A worker that fails at startup stops everything with that worker's one-line error (exit 1).
- a worker dies: with --respawn-failed-workers a new one takes its place, else the server stops with exit 1.
- SIGINT/SIGTERM: the supervisor closes its copies of the listening sockets, then forwards the signal to every worker
  (each accepts what is queued on its socket, closes it, finishes in-flight requests and runs lifespan shutdown);
  after graceful_timeout + workers_kill_timeout seconds the stragglers get SIGKILL.
- SIGHUP: rolling restart; for each worker, start its replacement, wait until it is ready, then stop the old one
  gracefully, so there are always N workers accepting. The old one stops accepting, answers each request still
  arriving on its keep-alive connections with Connection: close, and closes idle ones after a short grace. The
  replacement policies (replacement.py: --workers-lifetime, --workers-max-rss, --workers-max-requests) and
  --reload (a source file changed, reloader.py) replace workers the same way, one at a time.
- --metrics: workers write snapshots to a private directory; metrics.py serves them with what the supervisor knows.

The supervisor also runs with one worker when an option needs it (Config.supervised): --reload, --metrics,
--workers-lifetime, --workers-max-rss, --workers-max-requests.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from ..config import Config
from ..constants import EXIT_FAILURE, EXIT_OK
from ..errors import StartupError, WorkerFailedError
from ..logging import logger
from ..worker import ERROR, READY, RECYCLE, WORKER_ENV
from .replacement import SAMPLE_INTERVAL_S, due_replacement, samples_needed
from .sockets import SlotSockets, check_port_free

__all__ = ["Supervisor", "Worker"]

# Used when --workers-kill-timeout is not given: how long after the graceful timeout a worker may still take.
DEFAULT_KILL_MARGIN_S = 10.0


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
        return self._line_after(ERROR) or ""

    @property
    def served_quota(self) -> int | None:
        """The requests served when the worker said it reached --workers-max-requests (None: not yet)."""
        count = self._line_after(RECYCLE)
        return int(count) if count is not None and count.isdigit() else None

    def _line_after(self, prefix: bytes) -> str | None:
        """The rest of the first complete message line starting with `prefix`."""
        for line in self.message.split(b"\n")[:-1]:
            if line.startswith(prefix):
                return line[len(prefix) :].decode("utf-8", "replace").strip()
        return None



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
        self._sockets = SlotSockets(config)
        self.restarts: Counter[str] = Counter()  # by reason: failed, lifetime, max_rss, max_requests, reload, signal
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
                check_port_free(self.config)
                self._sockets.bind(self._worker_count())
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
            self._sockets.close()
            self._close_reloader()
            self._close_metrics()
        return self.status

    # --- starting --------------------------------------------------------------------------------------------------
    def _worker_count(self) -> int:
        return 1 if self.config.reload else self.config.workers

    def _spawn(self, index: int) -> Worker:
        ready_read, ready_write = os.pipe()
        listen_fd = self._sockets.fd_of(index)
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
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
        if worker.message.startswith(READY):
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
            from ..reloader import DEBOUNCE_S

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
        """The replacement policies (replacement.py): replace at most one worker per sample (one at a time)."""
        now = time.monotonic()
        if not samples_needed(self.config) or now < self._next_sample or self._stop_signal is not None:
            return
        self._next_sample = now + SAMPLE_INTERVAL_S
        for worker in [w for w in self.workers if w.ready and not w.stopping and not w.exited]:
            due = due_replacement(self.config, worker, now)
            if due is not None:
                logger.log(due.level, "Worker %d (pid %d) %s", worker.index, worker.pid, due.message)
                self._replace(worker, due.reason)
                return

    # --- reload ------------------------------------------------------------------------------------------------
    def _start_reloader(self) -> None:
        if not self.config.reload:
            return
        from ..reloader import Reloader, app_directories

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
        from ..metrics import MetricsServer

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
        from ..metrics import SupervisorView, WorkerView

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
        self._sockets.close_listening()  # first: see SlotSockets.close_listening
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
    def _install_signal_handlers(self) -> tuple[int, dict[int, Any]]:
        """Returns what was there before: the wakeup fd and the handlers."""
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        wakeup_fd = signal.set_wakeup_fd(self._wake_writer.fileno())
        handlers: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            handlers[signum] = signal.signal(signum, self._on_signal)
        return wakeup_fd, handlers

    def _restore_signal_handlers(self, previous: tuple[int, dict[int, Any]]) -> None:
        wakeup_fd, handlers = previous
        signal.set_wakeup_fd(wakeup_fd)
        for signum, handler in handlers.items():
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


def _send(worker: Worker, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        worker.process.send_signal(signum)


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


