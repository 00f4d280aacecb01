"""One measured run: start a server pinned to the server core, prime, warm up, measure, stop.

Timeline of a run:
  primer  a few single requests whose status and body length are checked (a wrong answer fails the run);
  warmup  the same load as the timed run, with `perf stat` attached to every server process when it works
          (syscalls and context switches per request are read here, so the tracepoint's own overhead never
          touches the timed window);
  timed   the load generator on the client core; server CPU ticks and context switches are read from /proc
          right before and right after it.
RSS is sampled every second through warmup and timed window.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from . import loadgen, procstat
from .placement import ONE_WORKER
from .servers import APPS, HOST, Context, server_environment

# Below this share of one core the server was waiting for the client, not the other way round.
CLIENT_LIMITED_SHARE = 0.90
# Other work (builds, tests of other sessions) on the server core above this share makes a run noisy:
# req/s and latency suffer first; CPU/request less so, but caches and time slices are shared.
NOISY_FOREIGN_SHARE = 0.05
READY_TIMEOUT_SECONDS = 30
PRIMER_REQUESTS = 20


class RunError(RuntimeError):
    pass


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def make_static_root(base, sizes):
    """base/static/<name> with `sizes` bytes each; world-readable, since nginx's worker is not root."""
    static_dir = Path(base) / "static"
    static_dir.mkdir(parents=True, exist_ok=True)
    for name, size in sizes.items():
        path = static_dir / name
        if not path.exists() or path.stat().st_size != size:
            # Written aside and renamed: another bench run may be serving this file right now.
            partial = path.with_name(f".{name}.{os.getpid()}")
            partial.write_bytes(os.urandom(size))
            os.replace(partial, path)
    for directory in (Path(base), static_dir):
        directory.chmod(0o755)
    make_certificate(Path(base))
    return Path(base)


def make_certificate(base):
    """base/tls/cert.pem and key.pem: a self-signed P-256 certificate for 127.0.0.1, for the TLS scenarios. The key
    is PKCS#8 (openssl genpkey's form), the one form Granian reads."""
    tls_dir = base / "tls"
    if (tls_dir / "cert.pem").exists() and (tls_dir / "key.pem").exists():
        return
    tls_dir.mkdir(exist_ok=True)
    partial = tls_dir / f".{os.getpid()}"
    partial.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(partial / "key.pem"), "-out", str(partial / "cert.pem")],
                   check=True, capture_output=True)
    for name in ("key.pem", "cert.pem"):
        (partial / name).chmod(0o644)
        os.replace(partial / name, tls_dir / name)
    partial.rmdir()


def http_request(port, path, method="GET", body=None, timeout=10.0, protocol="h1"):
    """(status, body bytes) of one request on a fresh connection. HTTP/2 goes through curl: h2c by prior
    knowledge (a server started with HTTP/2 only refuses http.client's HTTP/1.1), h2 over TLS by ALPN, with the
    bench's own certificate (make_certificate) trusted as it is."""
    if protocol != "h1":
        return _curl_http2(port, path, method, body, timeout, tls=protocol == "h2")
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _curl_http2(port, path, method, body, timeout, tls):
    # --http2 on https insists on nothing; %{http_version} says what ALPN chose, and anything but 2 is an error.
    version = ["--http2", "--insecure"] if tls else ["--http2-prior-knowledge"]
    command = ["curl", "-sS", *version, "-X", method, "-o", "-", "-w", "\n%{http_version} %{http_code}",
               "--max-time", str(timeout), f"{'https' if tls else 'http'}://{HOST}:{port}{path}"]
    if body is not None:
        command[1:1] = ["--data-binary", "@-"]
    completed = subprocess.run(command, input=body, capture_output=True, timeout=timeout + 5)
    if completed.returncode != 0:
        raise OSError(f"curl {version[0]}: {completed.stderr.decode(errors='replace').strip()}")
    payload, _, trailer = completed.stdout.rpartition(b"\n")
    http_version, status = trailer.decode().split()
    if http_version != "2":
        raise OSError(f"curl {version[0]}: the server answered over HTTP/{http_version}, not HTTP/2")
    return int(status), payload


def _log_tail(log_path, lines=15):
    try:
        return "\n".join(Path(log_path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def running_server(server, kind, ctx, ready_path, protocol="h1"):
    """Start `server` for `kind` under taskset on the server cores; yield the Popen once it answers 200 over
    `protocol` (h1, h2c, h2)."""
    argv = server.commands[kind](ctx)
    log_path = ctx.workdir / "server.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(["taskset", "-c", ctx.placement.server_mask, *argv], cwd=APPS, env=server_environment(ctx),
                                   stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    process.argv = argv
    process.log_path = log_path
    try:
        _wait_ready(process, ctx.port, ready_path, protocol)
        # Threads and processes made before exec inherit taskset's mask; pin again in case a server
        # resets its own affinity (the mask only matters for fairness, so failures are ignored).
        procstat.pin_tree(process.pid, set(ctx.placement.server_cpus))
        yield process
    finally:
        _stop(process)


def _wait_ready(process, port, path, protocol="h1"):
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunError(f"server exited with {process.returncode}:\n{_log_tail(process.log_path)}")
        try:
            status, _ = http_request(port, path, timeout=2.0, protocol=protocol)
            if status == 200:
                return
            last_error = f"status {status}"
        except OSError as error:
            last_error = error
        time.sleep(0.1)
    raise RunError(f"server not ready after {READY_TIMEOUT_SECONDS}s ({last_error}):\n{_log_tail(process.log_path)}")


def _stop(process):
    """SIGTERM the server's whole session (process group), then SIGKILL what is left after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    # Workers of a pre-forking server may outlive the master briefly; they share its process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def prime(scenario, port):
    """Single requests that must succeed with the expected body length before any load is applied
    (WebSocket scenarios: two connections of 10 checked echoes each)."""
    if scenario.kind == "ws":
        command = loadgen.wsload_command(scenario.url(HOST, port), 2, 30, scenario.ws,
                                         messages=PRIMER_REQUESTS // 2)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if completed.returncode != 0:
            raise RunError(f"primer: {' '.join(command[3:])}: {completed.stderr.strip()}")
        return
    body = b"x" * scenario.post_body_length if scenario.post_body_length else None
    method = "POST" if body else "GET"
    for _ in range(PRIMER_REQUESTS):
        status, payload = http_request(port, scenario.path, method, body, protocol=scenario.protocol)
        if status != 200:
            raise RunError(f"primer: {method} {scenario.path} answered {status}")
        if scenario.body_length is not None and len(payload) != scenario.body_length:
            raise RunError(f"primer: {method} {scenario.path} body is {len(payload)} bytes, "
                           f"expected {scenario.body_length}")


PERF_STAT_EVENTS = ["raw_syscalls:sys_enter", "context-switches", "task-clock"]


def start_perf_stat(pids, output_path, placement=ONE_WORKER):
    """`perf stat` attached to the server processes, or None when perf is missing or refuses."""
    command = ["taskset", "-c", placement.client_mask, "perf", "stat", "-x,", "-o", str(output_path),
               "-e", ",".join(PERF_STAT_EVENTS), "-p", ",".join(str(pid) for pid in pids)]
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError:
        return None
    time.sleep(0.2)
    if process.poll() is not None:
        return None
    return process


def stop_perf_stat(process, output_path):
    """{event: count} from a `perf stat -x,` output file, after SIGINT ends the counting."""
    if process is None:
        return {"error": "perf stat unavailable"}
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return {"error": "perf stat did not stop"}
    counts = {}
    with contextlib.suppress(OSError):
        for line in Path(output_path).read_text().splitlines():
            fields = line.split(",")
            if len(fields) >= 3 and fields[2] in PERF_STAT_EVENTS:
                with contextlib.suppress(ValueError):
                    counts[fields[2]] = float(fields[0])
    if not counts:
        return {"error": f"perf stat gave no counts: {stderr.strip()[:200]}"}
    return counts


def measure(server, scenario, ctx, connections, duration, warmup, use_perf_stat=True):
    """Run primer, warmup and timed window against one server; returns the run's result dict."""
    result = {"scenario": scenario.name, "server": server.name, "role": server.role, "kind": scenario.kind,
              "path": scenario.path, "connections": connections, "duration_s": duration, "warmup_s": warmup,
              "tool": scenario.tool, "workers": ctx.placement.workers}
    if scenario.ws:
        result["ws_message"] = {"bytes": scenario.ws.size, "type": "binary" if scenario.ws.binary else "text",
                                "depth": scenario.ws.depth}
    url = scenario.url(HOST, ctx.port)
    with running_server(server, scenario.kind, ctx, scenario.path if not scenario.post_body_length else "/",
                        scenario.protocol) as proc:
        result["command"] = ["taskset", "-c", ctx.placement.server_mask, *proc.argv]
        prime(scenario, ctx.port)
        with procstat.RssSampler(proc.pid) as rss:
            pids = procstat.process_tree(proc.pid)
            perf_output = ctx.workdir / "perf-stat.csv"
            perf_stat = start_perf_stat(pids, perf_output, ctx.placement) if use_perf_stat else None
            warm, _ = loadgen.run(scenario.tool, url, connections, warmup, scenario.lua_script,
                                  ctx.workdir / "h2load-warmup.log", scenario.ws, ctx.placement)
            counts = stop_perf_stat(perf_stat, perf_output) if use_perf_stat else {"error": "disabled"}
            result["warmup"] = {"requests": warm["requests"], "perf_stat": counts}
            if "error" not in counts and warm["requests"]:
                for event, key in (("raw_syscalls:sys_enter", "syscalls_per_request"),
                                   ("context-switches", "perf_context_switches_per_request")):
                    if event in counts:
                        result[key] = counts[event] / warm["requests"]

            pids = procstat.process_tree(proc.pid)
            cpu_before = procstat.cpu_ticks(pids)
            threads_before = procstat.thread_cpu_ticks(pids)
            switches_before = procstat.context_switches(pids)
            cores_before = procstat.cpu_busy_ticks()
            load_average = procstat.load_average()
            started = time.monotonic()
            load, load_command = loadgen.run(scenario.tool, url, connections, duration, scenario.lua_script,
                                             ctx.workdir / "h2load.log", scenario.ws, ctx.placement)
            wall = time.monotonic() - started
            cores_after = procstat.cpu_busy_ticks()
            pids = procstat.process_tree(proc.pid)
            cpu_after = procstat.cpu_ticks(pids)
            threads_after = procstat.thread_cpu_ticks(pids)
            switches_after = procstat.context_switches(pids)
        if proc.poll() is not None:
            raise RunError(f"server died during the run:\n{_log_tail(proc.log_path)}")

    requests = load["requests"]
    cpu_us = procstat.ticks_to_us(procstat.ticks_delta(cpu_before, cpu_after))
    # The share of the server's cores (one per worker) the server tree kept busy.
    share = cpu_us / 1e6 / wall / ctx.placement.workers if wall else 0.0
    voluntary = switches_after[0] - switches_before[0]
    nonvoluntary = switches_after[1] - switches_before[1]
    server_core_busy = procstat.cpus_busy_share(cores_before, cores_after, ctx.placement.server_cpus)
    foreign = max(0.0, server_core_busy - share)
    busiest = sorted(((name, ticks - threads_before.get(name, 0)) for name, ticks in threads_after.items()),
                     key=lambda item: -item[1])[:6]
    result.update({
        "load_command": load_command,
        "requests": requests,
        "rps": load["rps"],
        "latency_us": load["latency_us"],
        "errors": load["errors"],
        "wall_s": round(wall, 3),
        "server_cpu_us": cpu_us,
        "server_cpu_share": round(share, 4),
        "client_limited": share < CLIENT_LIMITED_SHARE,
        "server_core_busy_share": round(server_core_busy, 4),
        "client_core_busy_share": round(
            procstat.cpus_busy_share(cores_before, cores_after, ctx.placement.client_cpus), 4),
        "foreign_share_on_server_core": round(foreign, 4),
        "noisy": foreign > NOISY_FOREIGN_SHARE,
        "load_average_before": load_average,
        "cpu_us_per_request": cpu_us / requests if requests else None,
        "context_switches_per_request": {
            "voluntary": voluntary / requests if requests else None,
            "nonvoluntary": nonvoluntary / requests if requests else None,
        },
        "rss_kib": {"peak": rss.peak_kib, "final": rss.final_kib},
        "rss_samples": rss.samples,
        "busiest_threads_ticks": [{"thread": name, "ticks": ticks} for name, ticks in busiest if ticks > 0],
        "processes": len(pids),
    })
    # wsload measures itself: its CPU per round trip says how close the client came to its own limit.
    for key in ("client_cpu_us_per_round_trip", "client_cpu_share", "client_loop"):
        if key in load:
            result[key] = load[key]
    return result


def make_context(port, static_root, options, placement=ONE_WORKER):
    workdir = Path(tempfile.mkdtemp(prefix="uring-bench-"))
    workdir.chmod(0o755)
    # Absolute paths (servers start in perf/apps), but no resolve(): a venv's python must stay the venv's.
    return Context(port=port, workdir=workdir, static_root=Path(static_root),
                   uring_serve=Path(os.path.abspath(options.uring_serve)),
                   uring_python=Path(os.path.abspath(options.uring_python)), placement=placement)
