"""`python -m uring_granian`: the CLI, or a worker process when started by the supervisor."""

from __future__ import annotations

import os
import sys

from .worker import WORKER_ENV


def main() -> int:
    if WORKER_ENV in os.environ:
        from .worker import worker_main

        return worker_main()
    from .cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
