"""Run metadata, JSON files and the Markdown table with ratios against the best peer."""

import datetime
import json
import os
import platform
import subprocess

from .placement import ONE_WORKER
from .scenarios import SCENARIOS
from .servers import REPO, PEER


def _first_line(command):
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (completed.stdout + completed.stderr).strip().splitlines()
    return lines[0] if lines else None


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_metadata():
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "HEAD"])
    dirty = _first_line(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "os": _first_line(["cat", "/etc/debian_version"]),
        "git_commit": commit,
        "git_dirty": bool(dirty),
        "bench_python": platform.python_version(),
        "tools": {"wrk": _first_line(["wrk", "-v"]), "h2load": _first_line(["h2load", "--version"]),
                  "perf": _first_line(["perf", "--version"])},
        "load_average": [float(value) for value in open("/proc/loadavg").read().split()[:3]],
        "pinning": ONE_WORKER.describe() + "; with W workers (scaling) CPUs 0..W-1 and W..2W-1",
    }


def write_json(path, data):
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def representative_runs(runs):
    """With --repeat, one run per (scenario, connections, server): the one with the median CPU/request."""
    groups = {}
    for run in runs:
        if "error" in run or run.get("skipped"):
            continue
        groups.setdefault((run["scenario"], run["connections"], run["server"]), []).append(run)
    chosen = []
    for group in groups.values():
        group.sort(key=lambda run: run["cpu_us_per_request"] or 0)
        median_run = dict(group[(len(group) - 1) // 2])
        median_run["repeats"] = len(group)
        median_run["cpu_us_per_request_range"] = [group[0]["cpu_us_per_request"], group[-1]["cpu_us_per_request"]]
        median_run["rps_range"] = [min(run["rps"] for run in group), max(run["rps"] for run in group)]
        chosen.append(median_run)
    return chosen


def _fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _latency_ms(run, key):
    value = run["latency_us"].get(key)
    return _fmt(value / 1000, 2) if value is not None else "–"


def _ratio(value, best):
    if value is None or not best:
        return "–"
    return f"{value / best:.2f}x"


def _spread(run):
    """' (min–max of N)' for the CPU/request of repeated runs."""
    if run.get("repeats", 1) < 2:
        return ""
    low, high = run["cpu_us_per_request_range"]
    return f" ({low:.2f}–{high:.2f} of {run['repeats']})"


def _paired_cpu_ratios(runs, key, peer):
    """{server: ' (paired median R)'}: the median over repeats of CPU/request divided by the best peer's in
    the same repeat. Servers take turns within a repeat, so the pair shared the machine's noise of the moment."""
    if peer is None:
        return {}
    by_server = {}
    for run in runs:
        if "error" not in run and (run["scenario"], run["connections"]) == key and run.get("repeat"):
            by_server.setdefault(run["server"], {})[run["repeat"]] = run["cpu_us_per_request"]
    paired = {}
    for server, values in by_server.items():
        ratios = sorted(values[repeat] / by_server[peer][repeat] for repeat in values
                        if repeat in by_server[peer] and values[repeat] and by_server[peer][repeat])
        if len(ratios) > 1 and server != peer:
            paired[server] = f" (paired median {ratios[(len(ratios) - 1) // 2]:.2f}x)"
    return paired


def _ws_notes(rows):
    """What a WebSocket row counts, and how busy the client was in each (its CPU per round trip is its limit)."""
    message = rows[0]["ws_message"]
    lines = [f"rt = one echo round trip of a {message['bytes']} B {message['type']} message, {message['depth']} in "
             "flight per connection, every echo checked byte for byte by the client (benchkit/wsload.py). Client "
             "per row: its event loop, its own CPU µs per round trip and its share of core 1 (near 100% means "
             "the client, not the server, set the pace), and what other processes took of core 1.", ""]
    for run in rows:
        client_share = run.get("client_cpu_share") or 0
        others = max(0.0, run.get("client_core_busy_share", 0) - client_share)
        lines.append(f"- {run['server']}: client on {run.get('client_loop', '?')}, "
                     f"{_fmt(run.get('client_cpu_us_per_round_trip'), 2)} µs/rt, {client_share * 100:.0f}% busy; "
                     f"others {others * 100:.0f}% of core 1")
    return lines + [""]


def _scaling_lines(chosen, runs):
    """Per-core efficiency of every scenario run on more than one worker count: req/s on W workers divided by W
    times req/s on one (1.00 is linear scaling), from the median runs."""
    scaled = sorted({run["scenario"] for run in runs
                     if run["scenario"] in SCENARIOS and len(SCENARIOS[run["scenario"]].workers) > 1})
    lines = []
    for scenario in scaled:
        rows = sorted((run for run in chosen if run["scenario"] == scenario),
                      key=lambda run: (run["server"], run["workers"]))
        one_worker = {run["server"]: run["rps"] for run in rows if run["workers"] == 1}
        lines += [f"### {scenario}: per-core efficiency", "",
                  "Efficiency = req/s on W workers / (W x req/s on 1 worker) of the same server; 1.00 is linear. "
                  "Worker counts without 2 CPUs per worker here are under Not measured.", "",
                  "| server | workers | req/s | req/s per worker | efficiency | CPU µs/req |",
                  "|---|---:|---:|---:|---:|---:|"]
        for run in rows:
            base = one_worker.get(run["server"])
            efficiency = f"{run['rps'] / (run['workers'] * base):.2f}" if base else "–"
            lines.append(f"| {run['server']} | {run['workers']} | {_fmt(run['rps'], 0)} | "
                         f"{_fmt(run['rps'] / run['workers'], 0)} | {efficiency} | "
                         f"{_fmt(run['cpu_us_per_request'], 2)} |")
        lines.append("")
    return lines


def markdown_table(runs, skipped, metadata, versions):
    lines = [f"Run of {metadata['date']} on {metadata['cpu_model']} ({metadata['cpus']} CPUs), kernel "
             f"{metadata['kernel']}, Debian {metadata['os']}, commit {str(metadata['git_commit'])[:12]}"
             f"{' (dirty tree)' if metadata['git_dirty'] else ''}. {metadata['pinning']}.", ""]
    lines += ["CPU/req is server utime+stime over the timed window (every process of the server tree, from /proc) "
              "divided by responses; *client-limited* means the server core was busy less than 90% of the window, "
              "so req/s shows the client's limit rather than the server's; *noisy* means other processes used more "
              "than 5% of the server core during the window. Ratios are against the best peer (lowest CPU/req, "
              "highest req/s) in the same scenario and concurrency; with repeats, the paired median is the median of "
              "per-repeat ratios (servers take turns, so each pair shared the same moment's noise).", ""]
    chosen = representative_runs(runs)
    order = {}
    for run in runs:
        order.setdefault((run["scenario"], run["connections"]), len(order))
    for key in sorted({(run["scenario"], run["connections"]) for run in chosen}, key=lambda k: order[k]):
        rows = [run for run in chosen if (run["scenario"], run["connections"]) == key]
        peers = [run for run in rows if run["role"] == PEER]
        best_cpu = min((run["cpu_us_per_request"] for run in peers if run["cpu_us_per_request"]), default=None)
        best_cpu_peer = next((run["server"] for run in peers if run["cpu_us_per_request"] == best_cpu), None)
        paired = _paired_cpu_ratios(runs, key, best_cpu_peer)
        best_rps = max((run["rps"] for run in peers), default=None)
        header = ("| server | req/s | p50 ms | p99 ms | max ms | errors | CPU µs/req | CPU/req vs best peer | "
                  "req/s vs best peer | server core busy | ctx sw/req (vol+invol) | syscalls/req | "
                  "RSS peak/final MiB |")
        workers = rows[0].get("workers", 1)
        lines += [f"### {key[0]}, {f'{workers} workers, ' if workers > 1 else ''}{key[1]} connections "
                  f"({rows[0]['tool']}, {rows[0]['duration_s']} s)", ""]
        if rows[0].get("ws_message"):
            header = header.replace("req", "rt")
            lines += _ws_notes(rows)
        lines += [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for run in rows:
            errors = run["errors"]["non_2xx"] + run["errors"]["socket"]
            switches = run["context_switches_per_request"]
            busy = f"{run['server_cpu_share'] * 100:.0f}%" + (" client-limited" if run["client_limited"] else "")
            if run.get("noisy"):
                busy += f", noisy: others used {run['foreign_share_on_server_core'] * 100:.0f}% of core 0"
            lines.append(
                f"| {run['server']} | {_fmt(run['rps'], 0)} | {_latency_ms(run, 'p50')} | {_latency_ms(run, 'p99')} | "
                f"{_latency_ms(run, 'max')} | {errors} | {_fmt(run['cpu_us_per_request'], 2)}{_spread(run)} | "
                f"{_ratio(run['cpu_us_per_request'], best_cpu)}{paired.get(run['server'], '')} | "
                f"{_ratio(run['rps'], best_rps)} | {busy} | "
                f"{_fmt((switches['voluntary'] or 0) + (switches['nonvoluntary'] or 0), 3)} | "
                f"{_fmt(run.get('syscalls_per_request'), 2)} | "
                f"{run['rss_kib']['peak'] / 1024:.1f}/{run['rss_kib']['final'] / 1024:.1f} |")
        lines.append("")
    lines += _scaling_lines(chosen, runs)
    failed = [run for run in runs if "error" in run]
    if failed or skipped:
        lines += ["### Not measured", ""]
        lines += [f"- {item['scenario']} / {item['server']}: skipped, {item['reason']}" for item in skipped]
        lines += [f"- {run['scenario']} / {run['server']}: failed, {run['error'].splitlines()[0]}" for run in failed]
        lines.append("")
    if versions:
        lines += ["### Versions", ""] + [f"- {name}: {version}" for name, version in sorted(versions.items())]
        lines += [f"- {tool}: {version}" for tool, version in metadata["tools"].items()] + [""]
    if runs:
        lines += ["### Commands", ""]
        seen = set()
        for run in runs:
            if "command" in run and (run["scenario"], run["server"]) not in seen:
                seen.add((run["scenario"], run["server"]))
                lines.append(f"- {run['scenario']} / {run['server']}: `{' '.join(run['command'])}`; load: "
                             f"`{' '.join(run.get('load_command', []))}`")
        lines.append("")
    return "\n".join(lines)
