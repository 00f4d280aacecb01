"""Per-process-tree accounting from /proc: CPU ticks, context switches, RSS, CPU pinning.

A server is a tree (nginx master + worker, gunicorn arbiter + workers, reactor and io-wq threads), so
every figure here is summed over every process of the tree, found by walking parent pids.
"""

import os
import threading
import time

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(path):
    """Fields of a /proc stat file after the command name (which may hold spaces and parentheses)."""
    with open(path, "rb") as stat_file:
        text = stat_file.read().decode("ascii", "replace")
    return text[text.rindex(")") + 2:].split()


def process_tree(root_pid):
    """root_pid and all its live descendants."""
    children_of = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parent = int(_stat_fields(f"/proc/{entry}/stat")[1])
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
        children_of.setdefault(parent, []).append(int(entry))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        if os.path.exists(f"/proc/{pid}"):
            tree.append(pid)
            pending.extend(children_of.get(pid, []))
    return tree


def thread_ids(pid):
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def cpu_ticks(pids):
    """{pid: utime+stime in clock ticks} for each process.

    The thread-group line /proc/PID/stat is the kernel's sum over every thread of the process, including
    threads that already exited (io_uring's io-wq workers come and go); summing /proc/PID/task/TID/stat
    would lose those. thread_cpu_ticks() gives the per-thread view for diagnostics.
    """
    ticks = {}
    for pid in pids:
        try:
            fields = _stat_fields(f"/proc/{pid}/stat")
        except OSError:
            continue
        # After the command name: state is field 3 of stat(5), so utime (14) and stime (15) sit at 11 and 12.
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def thread_cpu_ticks(pids):
    """{"pid/tid comm": utime+stime ticks} for every live thread of the given processes."""
    ticks = {}
    for pid in pids:
        for tid in thread_ids(pid):
            path = f"/proc/{pid}/task/{tid}/stat"
            try:
                fields = _stat_fields(path)
                with open(path, "rb") as stat_file:
                    raw = stat_file.read().decode("ascii", "replace")
            except OSError:
                continue
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            ticks[f"{pid}/{tid} {comm}"] = int(fields[11]) + int(fields[12])
    return ticks


def ticks_delta(before, after):
    """Ticks used between two cpu_ticks() snapshots; a process born in between counts from zero."""
    return sum(after_ticks - before.get(pid, 0) for pid, after_ticks in after.items())


def ticks_to_us(ticks):
    return ticks * 1_000_000 / CLOCK_TICKS_PER_SECOND


def context_switches(pids):
    """(voluntary, nonvoluntary) summed over every live thread of the given processes."""
    voluntary = nonvoluntary = 0
    for pid in pids:
        for tid in thread_ids(pid):
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as status_file:
                    for line in status_file:
                        if line.startswith("voluntary_ctxt_switches:"):
                            voluntary += int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches:"):
                            nonvoluntary += int(line.split()[1])
            except OSError:
                continue
    return voluntary, nonvoluntary


def rss_kib(pids):
    """Sum of VmRSS over the given processes, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status_file:
                for line in status_file:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def cpu_busy_ticks():
    """{cpu index: (busy ticks, total ticks)} from /proc/stat, to see who else used the benchmark's cores."""
    usage = {}
    with open("/proc/stat") as stat_file:
        for line in stat_file:
            name, *values = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            ticks = [int(value) for value in values[:8]]  # user nice system idle iowait irq softirq steal
            usage[int(name[3:])] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))
    return usage


def cpu_busy_share(before, after, cpu):
    """Share of `cpu` that was busy between two cpu_busy_ticks() snapshots."""
    busy = after[cpu][0] - before[cpu][0]
    total = after[cpu][1] - before[cpu][1]
    return busy / total if total else 0.0


def cpus_busy_share(before, after, cpus):
    """The mean busy share of `cpus` between two cpu_busy_ticks() snapshots."""
    return sum(cpu_busy_share(before, after, cpu) for cpu in cpus) / len(cpus)


def load_average():
    with open("/proc/loadavg") as loadavg:
        return [float(value) for value in loadavg.read().split()[:3]]


def pin_tree(root_pid, cpus):
    """Pin every thread of every process of the tree to `cpus` (threads started later inherit it)."""
    for pid in process_tree(root_pid):
        for tid in thread_ids(pid):
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass  # a thread that exited, or a kernel io worker that refuses a new mask


class RssSampler:
    """Samples the tree's total RSS once per `interval` seconds on a background thread."""

    def __init__(self, root_pid, interval=1.0):
        self.root_pid = root_pid
        self.interval = interval
        self.samples = []  # (seconds since start, KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = 0.0

    def __enter__(self):
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self):
        kib = rss_kib(process_tree(self.root_pid))
        self.samples.append((round(time.monotonic() - self._start, 2), kib))
        return kib

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    @property
    def peak_kib(self):
        return max((kib for _, kib in self.samples), default=0)

    @property
    def final_kib(self):
        return self.samples[-1][1] if self.samples else 0
