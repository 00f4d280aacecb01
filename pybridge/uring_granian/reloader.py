"""`--reload`: notices changed .py files under the watched directories, through Linux inotify.

inotify is called through ctypes (libc's inotify_init1 and inotify_add_watch; events come from a plain read()) so
that reloading needs no extra package. inotify watches one directory, not a tree: every directory below the roots
gets its own watch, and directories created later are added when their creation event arrives.

The supervisor owns the restart: it registers `fileno()` with its selector, calls `read_events()` when readable and
`take_change()` on each turn; a change is reported once the tree has been quiet for DEBOUNCE_S, so an editor's or
a `git checkout`'s burst of writes gives one restart.
"""

from __future__ import annotations

import ctypes
import errno
import importlib.machinery
import os
import struct
import sys
import time

from .importer import split_target

__all__ = ["DEBOUNCE_S", "Reloader", "app_directories"]

DEBOUNCE_S = 0.25

_IN_MODIFY = 0x00000002
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_Q_OVERFLOW = 0x00004000  # events were lost: assume something changed
_IN_IGNORED = 0x00008000  # the watch is gone (its directory was removed)
_IN_ONLYDIR = 0x01000000
_IN_ISDIR = 0x40000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_WATCH_MASK = (
    _IN_MODIFY | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF
) | _IN_ONLYDIR
_EVENT_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then len bytes of name

# Directories never watched: bytecode caches and version-control or tool state (hidden directories are skipped too).
_IGNORED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages"})


class Reloader:
    """Watches directory trees for changes to .py files."""

    def __init__(self, roots: list[str]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._add_watch = libc.inotify_add_watch
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._add_watch.restype = ctypes.c_int
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        self._fd = int(fd)
        self._directories: dict[int, str] = {}  # watch descriptor -> directory path
        self.roots = [os.path.abspath(root) for root in roots]
        self._changed_at: float | None = None
        self._changed_paths: list[str] = []
        for root in self.roots:
            self._watch_tree(root)

    def fileno(self) -> int:
        return self._fd

    @property
    def change_pending(self) -> bool:
        """A change was seen and is waiting for the tree to be quiet."""
        return self._changed_at is not None

    @property
    def watched_directories(self) -> int:
        return len(self._directories)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def read_events(self) -> None:
        """Reads every pending inotify event (the fd is non-blocking) and notes the relevant changes."""
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return
            if not data:
                return
            self._parse(data)

    def take_change(self, now: float | None = None) -> list[str] | None:
        """The changed paths once the tree has been quiet for DEBOUNCE_S (and then forgets them); else None."""
        if self._changed_at is None:
            return None
        if (time.monotonic() if now is None else now) - self._changed_at < DEBOUNCE_S:
            return None
        changed = self._changed_paths
        self._changed_at = None
        self._changed_paths = []
        return changed

    # --- internals ---------------------------------------------------------------------------------------------
    def _parse(self, data: bytes) -> None:
        offset = 0
        while offset + _EVENT_HEADER.size <= len(data):
            wd, mask, _cookie, length = _EVENT_HEADER.unpack_from(data, offset)
            offset += _EVENT_HEADER.size
            name = data[offset : offset + length].rstrip(b"\0").decode(errors="surrogateescape")
            offset += length
            if mask & _IN_Q_OVERFLOW:
                self._note("(inotify queue overflow)")
                continue
            directory = self._directories.get(wd)
            if mask & _IN_IGNORED:
                self._directories.pop(wd, None)
                continue
            if directory is None:
                continue
            path = os.path.join(directory, name) if name else directory
            if mask & _IN_ISDIR:
                if mask & (_IN_CREATE | _IN_MOVED_TO) and _watchable_directory(name):
                    # A new directory may already hold .py files (moved in, or created before the watch existed).
                    if self._watch_tree(path):
                        self._note(path)
                elif mask & (_IN_DELETE | _IN_MOVED_FROM) and _watchable_directory(name):
                    self._note(path)
            elif _is_source_file(name):
                self._note(path)

    def _note(self, path: str) -> None:
        self._changed_at = time.monotonic()
        if path not in self._changed_paths:
            self._changed_paths.append(path)

    def _watch_tree(self, root: str) -> bool:
        """Adds a watch on `root` and every directory below it; True when the tree holds a .py file."""
        has_source = False
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = [d for d in subdirectories if _watchable_directory(d)]
            wd = self._add_watch(self._fd, os.fsencode(directory), _WATCH_MASK)
            if wd < 0:
                code = ctypes.get_errno()
                if code in (errno.ENOENT, errno.ENOTDIR):
                    continue  # removed while walking
                raise OSError(code, f"inotify_add_watch {directory}: {os.strerror(code)}")
            self._directories[wd] = directory
            has_source = has_source or any(_is_source_file(f) for f in files)
        return has_source


def _watchable_directory(name: str) -> bool:
    return not name.startswith(".") and name not in _IGNORED_DIRECTORIES


def _is_source_file(name: str) -> bool:
    # Editors' temporary and lock files (".#x.py", "x.py~", ".x.py.swp", vim's "4913") do not end in ".py" or are
    # hidden; only a real module counts.
    return name.endswith(".py") and not name.startswith(".")


def app_directories(target: str) -> list[str]:
    """The directory of the app's top-level module or package, found without importing it (the supervisor must
    not run the app's code); the working directory when it cannot be found."""
    module_name, _ = split_target(target)
    top_level = module_name.split(".")[0]
    search_path = [os.getcwd(), *(p for p in sys.path if p)]
    spec = importlib.machinery.PathFinder.find_spec(top_level, search_path)
    if spec is not None and spec.submodule_search_locations:
        return [os.path.abspath(p) for p in spec.submodule_search_locations]
    if spec is not None and spec.origin and os.path.isfile(spec.origin):
        return [os.path.dirname(os.path.abspath(spec.origin))]
    return [os.getcwd()]
