"""ASGI app for the allocator test: GET / answers how many bytes of fresh mmap a 24 MiB allocation took.

glibc's mallinfo2().hblkhd counts the bytes in mmapped chunks. With --tune-allocator (32 MiB mmap threshold) a
24 MiB buffer comes from the heap (0 new mmapped bytes); with glibc's defaults it is a fresh mapping of >= 24 MiB.
"""

from __future__ import annotations

import ctypes
from typing import Any


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _MallInfo2


def _mmapped_by_allocation() -> int:
    before = _libc.mallinfo2().hblkhd
    buffer = bytearray(24 << 20)
    after = _libc.mallinfo2().hblkhd
    del buffer
    return int(after - before)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = str(_mmapped_by_allocation()).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
