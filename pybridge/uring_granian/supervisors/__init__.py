"""Supervisors: the parent process of the workers. One mode today, `multiprocess` (N worker processes on the same
address, replaced one at a time); `replacement.py` says when a worker is due, `sockets.py` binds the address."""

from __future__ import annotations

from .multiprocess import Supervisor

__all__ = ["Supervisor"]
