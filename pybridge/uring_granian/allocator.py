"""glibc malloc settings for a worker process (--tune-allocator, on by default).

Why: a framework answering with a large body (Quart's 4 MB str, Django's 4 MB HttpResponse) allocates and frees a
buffer of megabytes per response. With glibc's defaults that buffer is a fresh mmap (or the heap top is trimmed
back to the kernel) every time, so each response pays page faults and page clearing for the whole buffer: about a
third of the CPU per request in the 4 MB scenarios (perf/results/2026-12-02-issue14-allocator.md). A fixed mmap
threshold keeps such buffers in the heap, a higher trim threshold keeps the freed space for the next response, and
two arenas stop each of an app's threads (asgiref's, the WSGI pool's) from holding its own free megabytes.

A setting the user made through glibc's own variables wins: it is left alone.
"""

from __future__ import annotations

import ctypes
import os

from .logging import logger

__all__ = ["TUNED_SETTINGS", "tune_allocator"]

# mallopt(3) parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

# (mallopt parameter, value, the GLIBC_TUNABLES name and the older MALLOC_*_ variable that set it by hand)
TUNED_SETTINGS: tuple[tuple[int, int, str, str], ...] = (
    # Allocations below 32 MiB (glibc's largest dynamic threshold) come from the heap, not a fresh mmap.
    (_M_MMAP_THRESHOLD, 32 << 20, "glibc.malloc.mmap_threshold", "MALLOC_MMAP_THRESHOLD_"),
    # Freed heap space is given back only above 64 MiB: 16 connections x 4 MB in flight fit under it.
    (_M_TRIM_THRESHOLD, 64 << 20, "glibc.malloc.trim_threshold", "MALLOC_TRIM_THRESHOLD_"),
    (_M_ARENA_MAX, 2, "glibc.malloc.arena_max", "MALLOC_ARENA_MAX"),
)


def _set_by_user(tunable: str, variable: str) -> bool:
    if variable in os.environ:
        return True
    return any(item.split("=", 1)[0] == tunable for item in os.environ.get("GLIBC_TUNABLES", "").split(":"))


def tune_allocator() -> bool:
    """Applies TUNED_SETTINGS to this process's glibc malloc; False where there is no glibc mallopt (musl)."""
    try:
        # The process's own symbols (libc among them): no find_library, which runs ldconfig at every worker start.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        logger.debug("No glibc mallopt here: the allocator keeps its defaults")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    for parameter, value, tunable, variable in TUNED_SETTINGS:
        if _set_by_user(tunable, variable):
            continue
        if mallopt(parameter, value) != 1:
            logger.debug("mallopt(%d, %d) was refused", parameter, value)
    return True
