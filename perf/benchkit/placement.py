"""Where one run's processes go: the server tree on its own cores, the load generator on the others.

Every scenario but `scaling` runs one worker: the server on CPU 0 and the load generator on CPU 1. `scaling` runs
W workers on CPUs 0..W-1 and W load-generator threads on CPUs W..2W-1, so each worker has a client core of its own
and the per-core figures stay comparable as W grows; a worker count the machine has no 2W CPUs for is skipped.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    workers: int = 1

    @property
    def server_cpus(self):
        return list(range(self.workers))

    @property
    def client_cpus(self):
        return list(range(self.workers, 2 * self.workers))

    @property
    def server_mask(self):
        """taskset's list for the server tree: '0', '0-3'."""
        return _mask(self.server_cpus)

    @property
    def client_mask(self):
        return _mask(self.client_cpus)

    @property
    def client_threads(self):
        """Load-generator threads: one per client core."""
        return self.workers

    def missing(self):
        """Why this machine cannot run the placement, or None."""
        cpus = os.cpu_count() or 1
        if cpus < 2 * self.workers:
            return (f"{self.workers} workers need {2 * self.workers} CPUs ({self.workers} for the server, "
                    f"{self.workers} for the load generator); this machine has {cpus}")
        return None

    def describe(self):
        return (f"server tree on CPU {self.server_mask} (taskset -c {self.server_mask}), load generator on CPU "
                f"{self.client_mask} (taskset -c {self.client_mask})")


def _mask(cpus):
    return str(cpus[0]) if len(cpus) == 1 else f"{cpus[0]}-{cpus[-1]}"


ONE_WORKER = Placement()
