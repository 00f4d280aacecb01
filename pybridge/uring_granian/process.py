"""Small process-level helpers of the supervisor and the workers: process names, the pid file, resident memory,
and systemd socket activation. Linux only, through /proc and prctl (ctypes: no extra package)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import stat
from collections.abc import Iterator

from .errors import StartupError

__all__ = [
    "SD_LISTEN_FDS_START",
    "die_with_parent",
    "pid_file",
    "resident_bytes",
    "set_process_name",
    "socket_activation_fds",
    "worker_process_name",
]

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_COMM_MAX = 15  # TASK_COMM_LEN 16, with the terminating NUL
# sd_listen_fds(3): the first passed socket is always descriptor 3.
SD_LISTEN_FDS_START = 3


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def set_process_name(name: str) -> None:
    """Sets the calling thread's name, which for the main thread is the process's `comm`: what `ps -o comm`,
    `ps -e`, `top`, `pgrep NAME` and /proc/PID/comm show (the kernel keeps 15 bytes). Threads started afterwards
    (the engine's reactors) inherit it. The command line (`ps -f`, `ps aux`, /proc/PID/cmdline) is not changed."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:_COMM_MAX]), 0, 0, 0)


def worker_process_name(base: str | None, index: int) -> str:
    """'NAME-wN' with NAME shortened so the worker number survives the 15-byte limit; 'ug-worker-N' by default."""
    if base is None:
        return f"ug-worker-{index}"
    suffix = f"-w{index}".encode()
    kept = base.encode()[: _COMM_MAX - len(suffix)].decode("utf-8", "ignore").rstrip("-_. ")
    return kept + suffix.decode()


def die_with_parent(parent_pid: int, signum: int) -> bool:
    """Asks the kernel for `signum` when the parent dies; False when the parent is already gone."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    return os.getppid() == parent_pid


def resident_bytes(pid: int) -> int | None:
    """VmRSS of a process from /proc/PID/status, in bytes; None when the process is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None  # a zombie has no VmRSS line


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


@contextlib.contextmanager
def pid_file(path: str | None) -> Iterator[None]:
    """Writes this process's id to `path` for the duration; refuses (StartupError) while the file names a live
    process other than this one. A stale file (its process is gone) is replaced. Removed at exit only if it
    still holds this process's id, so a newer server's file is never removed."""
    if path is None:
        yield
        return
    own_pid = os.getpid()
    previous = _read_pid(path)
    if previous is not None and previous != own_pid and _process_alive(previous):
        raise StartupError(f"--pid-file {path}: process {previous} is running")
    temporary = f"{path}.{own_pid}.tmp"
    try:
        with open(temporary, "w", encoding="ascii") as file:
            file.write(f"{own_pid}\n")
        os.replace(temporary, path)  # readers never see a half-written file
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise StartupError(f"--pid-file {path}: {exc.strerror}") from exc
    try:
        yield
    finally:
        if _read_pid(path) == own_pid:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _read_pid(path: str) -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            text = file.read().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StartupError(f"--pid-file {path}: {exc.strerror}") from exc
    return int(text) if text.isdigit() else None


def socket_activation_fds() -> list[int]:
    """The listening sockets systemd passed (LISTEN_FDS/LISTEN_PID, see sd_listen_fds(3)), or [].

    The variables are removed from the environment, as sd_listen_fds(unset_environment=1) does, so that processes
    started later (workers, the app's own subprocesses) do not take the sockets for theirs. Each fd is checked to
    be a socket: a wrong LISTEN_FDS must give one clear error, not an engine failure."""
    pid_text = os.environ.get("LISTEN_PID")
    count_text = os.environ.get("LISTEN_FDS")
    if pid_text is None or count_text is None:
        return []
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    if not pid_text.isdigit() or int(pid_text) != os.getpid():
        return []  # meant for another process (e.g. our parent)
    if not count_text.isdigit():
        raise StartupError(f"socket activation: LISTEN_FDS is not a number ({count_text!r})")
    fds = list(range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + int(count_text)))
    for fd in fds:
        try:
            mode = os.fstat(fd).st_mode
        except OSError as exc:
            reason = errno.errorcode.get(exc.errno or 0, str(exc.errno))
            raise StartupError(f"socket activation: descriptor {fd} is not open ({reason})") from exc
        if not stat.S_ISSOCK(mode):
            raise StartupError(f"socket activation: descriptor {fd} is not a socket")
        os.set_inheritable(fd, False)  # only workers get it, through pass_fds
    return fds
