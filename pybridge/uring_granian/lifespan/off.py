"""--no-lifespan: no startup/shutdown events; requests still get an (empty) scope["state"]."""

from __future__ import annotations

from typing import Any

__all__ = ["LifespanOff"]


class LifespanOff:
    def __init__(self, app: Any = None) -> None:
        self.state: dict[str, Any] = {}

    async def startup(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
