"""ASGI lifespan (spec 2.0): `on` runs the protocol, `off` skips it; both expose `state` for request scopes."""

from __future__ import annotations

from .off import LifespanOff
from .on import LifespanOn

__all__ = ["LifespanOff", "LifespanOn"]
