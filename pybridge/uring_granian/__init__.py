"""uring_granian: ASGI/WSGI server on an io_uring HTTP engine.

`import uring_granian` stays cheap: the native module is loaded only when Server (or serve()) is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Config, ConfigError

__version__ = "0.1.0"
__all__ = ["Config", "ConfigError", "Server", "__version__", "serve"]

if TYPE_CHECKING:
    from .main import serve
    from .server import Server


def __getattr__(name: str) -> Any:
    # PEP 562 lazy attributes: server.py pulls in the native module, main.py the importer and logging.
    if name == "Server":
        from .server import Server

        return Server
    if name == "serve":
        from .main import serve

        return serve
    raise AttributeError(f"module 'uring_granian' has no attribute {name!r}")
