"""Load generators, pinned to the client core: wrk for small bodies, `h2load --h1` for MB-sized ones,
benchkit/wsload.py for WebSocket echo round trips.

wrk reads responses 8 KiB at a time, which caps it near 1 GB/s here; h2load reads large bodies far more
efficiently, so scenarios with MB-sized responses use it. Both parsers return the same dict shape:
requests, seconds, rps, latency_us {p50, p99, max}, errors {non_2xx, socket} (wsload's requests are echo
round trips, and it adds its own CPU time per round trip).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

from .placement import ONE_WORKER
from .servers import PEERS_VENV

# The client core of a one-worker run (the driver itself stays there too).
CLIENT_CPU = ONE_WORKER.client_mask

_WRK_UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def _wrk_duration_us(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(match.group(1)) * _WRK_UNIT_US[match.group(2)]


def parse_wrk(output):
    """Parse `wrk --latency` output."""
    result = {"tool": "wrk"}
    totals = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.M)
    if not totals:
        raise ValueError("wrk output has no request total:\n" + output)
    result["requests"] = int(totals.group(1))
    result["seconds"] = _wrk_duration_us(totals.group(2) + totals.group(3)) / 1e6
    result["rps"] = float(re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M).group(1))
    latency = {}
    stats_line = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
    if stats_line:
        latency["max"] = _wrk_duration_us(stats_line.group(3))
    for percent, key in (("50", "p50"), ("99", "p99")):
        match = re.search(rf"^\s*{percent}%\s+(\S+)", output, re.M)
        if match:
            latency[key] = _wrk_duration_us(match.group(1))
    result["latency_us"] = latency
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["errors"] = {
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket": sum(int(count) for count in socket.groups()) if socket else 0,
    }
    return result


def wrk_command(url, connections, seconds, lua_script=None, placement=ONE_WORKER):
    command = ["taskset", "-c", placement.client_mask, "wrk", f"-t{placement.client_threads}", f"-c{connections}",
               f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if lua_script:
        command += ["-s", str(lua_script)]
    return command + [url]


def _percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return float(sorted_values[index])


def parse_h2load(output, log_text=""):
    """Parse `h2load` output; percentiles come from its --log-file (start, status, microseconds)."""
    result = {"tool": "h2load"}
    finished = re.search(r"finished in ([\d.]+)(ms|s), ([\d.]+) req/s", output)
    counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", output)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output)
    if not finished or not counts:
        raise ValueError("h2load output has no summary:\n" + output)
    result["seconds"] = float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)
    result["rps"] = float(finished.group(3))
    result["requests"] = int(counts.group(3))
    non_2xx = sum(int(count) for count in codes.groups()[1:]) if codes else 0
    result["errors"] = {"non_2xx": non_2xx, "socket": int(counts.group(6)) + int(counts.group(7))}
    latencies = sorted(int(line.split("\t")[2]) for line in log_text.splitlines() if line.count("\t") >= 2)
    result["latency_us"] = {"p50": _percentile(latencies, 0.50), "p99": _percentile(latencies, 0.99),
                            "max": float(latencies[-1]) if latencies else None}
    return result


# Streams in flight per HTTP/2 connection (h2load -m), as issue 17's h2 scenarios ask: -c16 -m10.
H2_STREAMS = 10


def h2load_command(url, connections, seconds, log_path=None, http2=False, placement=ONE_WORKER):
    # One client thread per client core; -D runs for a duration; --h1 speaks HTTP/1.1 with keep-alive, and
    # without it h2load speaks HTTP/2 by prior knowledge (h2c) on an http:// URL and offers h2 by ALPN on https://.
    protocol = [f"-m{H2_STREAMS}"] if http2 else ["--h1"]
    command = ["taskset", "-c", placement.client_mask, "h2load", *protocol, f"-t{placement.client_threads}",
               f"-c{connections}", f"-D{seconds}"]
    if log_path:
        command.append(f"--log-file={log_path}")
    return command + [url]


WSLOAD = Path(__file__).resolve().with_name("wsload.py")


def wsload_python():
    """perf/.venv-peers' python when it exists (it has uvloop, which makes the client about 3x faster),
    else this one (plain asyncio)."""
    peers_python = PEERS_VENV / "bin" / "python"
    return str(peers_python) if peers_python.exists() else sys.executable


def wsload_command(url, connections, seconds, ws, messages=0):
    command = ["taskset", "-c", CLIENT_CPU, wsload_python(), str(WSLOAD), url, "-c", str(connections),
               "-d", str(seconds), "--size", str(ws.size), "--depth", str(ws.depth)]
    return command + (["--binary"] if ws.binary else []) + ([f"--messages={messages}"] if messages else [])


def run(tool, url, connections, seconds, lua_script=None, log_path=None, ws=None, placement=ONE_WORKER):
    """Run one load window on the placement's client cores; returns (parsed result, the command line)."""
    if tool == "wrk":
        command = wrk_command(url, connections, seconds, lua_script, placement)
    elif tool == "wsload":
        command = wsload_command(url, connections, seconds, ws)
    else:
        command = h2load_command(url, connections, seconds, log_path, http2=tool in ("h2load-h2c", "h2load-h2"),
                                 placement=placement)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.strip()}")
    if tool == "wrk":
        return parse_wrk(completed.stdout), command
    if tool == "wsload":
        return json.loads(completed.stdout), command
    log_text = ""
    if log_path:
        with open(log_path) as log_file:
            log_text = log_file.read()
    if tool == "h2load-h2" and "Application protocol: h2" not in completed.stdout:
        raise RuntimeError(f"{' '.join(command)}: ALPN did not choose h2:\n{completed.stdout[:400]}")
    return parse_h2load(completed.stdout, log_text), command
