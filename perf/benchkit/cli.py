"""Command lines of perf/bench (side-by-side runs, soak) and perf/profile."""

import argparse
import dataclasses
import datetime
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import loadgen, procstat, report, runner
from .placement import Placement
from .scenarios import FILE_SIZES, SCENARIOS, SOAK, SOAKS
from .servers import PERF, SERVERS, default_uring_python, default_uring_serve

RAW_RESULTS = PERF / "results" / "raw"

EPILOG = f"""scenarios:
{chr(10).join(f'  {name:14} {scenario.description} [{", ".join(scenario.servers)}]'
              for name, scenario in SCENARIOS.items())}

soak mode:
  perf/bench soak --minutes N [--servers ...]   RSS every second while each server serves 4 MB responses
                                                ({", ".join(SOAK.servers)}); plotted to soak-rss.png
  perf/bench soak --app django ...              the same with the Django ASGI app and 4 clients (issue 14)

replace mode:
  perf/bench replace [--mode sighup|lifetime|sigterm] [--restarts 3] [--interval 8] [--servers ...]
                                                wrk -c64 errors per worker replacement, 2 workers (issue 15)

Results go to perf/results/raw/<UTC stamp>/ (git-ignored): one JSON per run, summary.json, summary.md, PNGs.
"""


def _common_options(parser):
    parser.add_argument("--servers", help="comma-separated server names (default: each scenario's list); "
                                          f"known: {', '.join(SERVERS)}")
    parser.add_argument("--out", type=Path, help="result directory (default perf/results/raw/<UTC stamp>)")
    parser.add_argument("--uring-serve", default=str(default_uring_serve()), help="uring-serve binary [%(default)s]")
    parser.add_argument("--uring-python", default=str(default_uring_python()),
                        help="python with uring_granian installed [%(default)s]")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots (no matplotlib needed)")


def bench_parser():
    parser = argparse.ArgumentParser(
        prog="perf/bench", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Side-by-side HTTP benchmark: server tree pinned to CPU 0, load generator on CPU 1; "
                    "measures req/s, latency, errors, server CPU time per request, context switches, syscalls "
                    "and RSS.")
    parser.add_argument("--scenario", default="hello,static-50k",
                        help="comma-separated scenario names, or 'all' [%(default)s]")
    parser.add_argument("--duration", type=int, default=10, help="timed window in seconds [%(default)s]")
    parser.add_argument("--warmup", type=int, default=3, help="warmup seconds, perf stat counts here [%(default)s]")
    parser.add_argument("--connections", type=int, help="override each scenario's connection count")
    parser.add_argument("--sweep", help="comma-separated connection counts to run every scenario at")
    parser.add_argument("--repeat", type=int, default=1, help="runs per server; the table shows the median run")
    parser.add_argument("--no-perf-stat", action="store_true", help="do not attach perf stat during warmup")
    parser.add_argument("--ws-size", type=int, help="ws-* scenarios: message bytes (default: the scenario's)")
    parser.add_argument("--ws-binary", action=argparse.BooleanOptionalAction,
                        help="ws-* scenarios: binary (--ws-binary) or text (--no-ws-binary) messages")
    parser.add_argument("--ws-depth", type=int, help="ws-* scenarios: messages in flight per connection [1]")
    parser.add_argument("--list", action="store_true", help="list scenarios and servers with availability")
    parser.add_argument("--setup-peers", action="store_true",
                        help="create perf/.venv-peers (perf/envs/peers.txt) and perf/.venv-granian175, then exit")
    parser.add_argument("--peers-python", help="X.Y or a path: interpreter for perf/.venv-peers "
                                               "(default: the one .venv uses, else 3.12)")
    _common_options(parser)
    return parser


def soak_parser():
    parser = argparse.ArgumentParser(prog="perf/bench soak",
                                     description="RSS over time while each server serves 4 MB responses.")
    parser.add_argument("--minutes", type=float, default=5.0, help="load time per server [%(default)s]")
    parser.add_argument("--app", choices=sorted(SOAKS), default="quart",
                        help="quart: perf/apps/quart_app.py (16 connections); django: django_app.py, the Django ASGI "
                             "case of issue 14 (4 connections) [%(default)s]")
    parser.add_argument("--connections", type=int, help="[16 for quart, 4 for django]")
    _common_options(parser)
    return parser


def _split(text):
    return [item.strip() for item in text.split(",") if item.strip()] if text else []


def _raise_file_limit():
    # 1,024 connections need more descriptors than the usual soft limit; children inherit the raise.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    # The driver itself (RSS sampler, /proc reads) stays off the server cores, on the last CPU (the client core
    # with two CPUs); servers get their own mask from taskset. Set before any thread starts, so the sampler thread
    # inherits it.
    try:
        os.sched_setaffinity(0, {(os.cpu_count() or 2) - 1})
    except OSError:
        pass


def _out_dir(options):
    out = options.out or RAW_RESULTS / datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_tools(names):
    missing = [name for name in names if not shutil.which(name)]
    if missing:
        raise SystemExit(f"perf/bench: missing {', '.join(missing)} (apt-get install wrk nghttp2-client util-linux)")


def _warn_if_busy():
    one_minute = procstat.load_average()[0]
    if one_minute > 1.5:
        print(f"warning: load average {one_minute:.1f} on {os.cpu_count()} CPUs; other work shares the cores, "
              "so expect rows marked noisy", flush=True)


def _pick_servers(options, default_names):
    names = _split(options.servers) or default_names
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        raise SystemExit(f"perf/bench: unknown server(s) {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    return [SERVERS[name] for name in names]


def _list(options, static_root):
    ctx = runner.make_context(0, static_root, options)
    for server in SERVERS.values():
        reason = server.missing(ctx)
        print(f"{server.name:18} {server.role:8} kinds={','.join(server.commands):28} "
              f"{'ready' if reason is None else 'SKIP: ' + reason}")
    shutil.rmtree(ctx.workdir, ignore_errors=True)
    for name, scenario in SCENARIOS.items():
        print(f"{name:18} {scenario.kind:7} {scenario.tool:7} c={scenario.connections:<5} {scenario.description}")


def _ready_servers(scenario, options, static_root, skipped, versions):
    """The scenario's servers that can run here; the others are reported with the reason."""
    ready = []
    for server in _pick_servers(options, scenario.servers):
        if scenario.kind not in server.commands:
            print(f"skip {scenario.name} / {server.name}: no {scenario.kind} configuration for this server",
                  flush=True)
            continue
        ctx = runner.make_context(0, static_root, options)
        reason = server.missing(ctx)
        shutil.rmtree(ctx.workdir, ignore_errors=True)
        if reason:
            print(f"skip {scenario.name} / {server.name}: {reason}", flush=True)
            skipped.append({"scenario": scenario.name, "server": server.name, "reason": reason})
            continue
        versions.setdefault(server.name, server.version(ctx))
        ready.append(server)
    return ready


def _measure_one(scenario, server, connections, repeat, options, static_root, placement):
    ctx = runner.make_context(runner.free_port(), static_root, options, placement)
    label = (f"{scenario.name} / {server.name} / c={connections}"
             + (f" / {placement.workers} workers" if len(scenario.workers) > 1 else "")
             + (f" / #{repeat + 1}" if options.repeat > 1 else ""))
    print(f"run  {label} ...", end=" ", flush=True)
    try:
        result = runner.measure(server, scenario, ctx, connections, options.duration, options.warmup,
                                not options.no_perf_stat)
        unit = "rt" if scenario.ws else "req"  # WebSocket scenarios count echo round trips
        print(f"{result['rps']:,.0f} {unit}/s, {result['cpu_us_per_request']:.2f} µs CPU/{unit}, "
              f"core {result['server_cpu_share'] * 100:.0f}% busy"
              + (" (client-limited)" if result["client_limited"] else "")
              + (f" NOISY: others used {result['foreign_share_on_server_core'] * 100:.0f}% of core 0"
                 if result["noisy"] else ""), flush=True)
    except Exception as error:  # one failing server must not lose the other rows
        result = {"scenario": scenario.name, "server": server.name, "role": server.role,
                  "connections": connections, "error": f"{error}", "traceback": traceback.format_exc()}
        print(f"FAILED: {str(error).splitlines()[0]}", flush=True)
    finally:
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    return result


def _with_ws_overrides(scenario, options):
    """The scenario with --ws-size/--ws-binary/--ws-depth applied (WebSocket scenarios only)."""
    if scenario.ws is None:
        return scenario
    changes = {key: value for key, value in (("size", options.ws_size), ("binary", options.ws_binary),
                                             ("depth", options.ws_depth)) if value is not None}
    if changes.get("size", 0) < 0 or changes.get("depth", 1) < 1:
        raise SystemExit("perf/bench: --ws-size must be >= 0 and --ws-depth >= 1")
    return dataclasses.replace(scenario, ws=dataclasses.replace(scenario.ws, **changes))


def _placements(scenario, servers, skipped):
    """One placement per worker count of the scenario that this machine has the CPUs for; the others are
    reported as skipped for each server, with the reason."""
    placements = []
    for workers in scenario.workers:
        placement = Placement(workers)
        reason = placement.missing()
        if reason is None:
            placements.append(placement)
            continue
        print(f"skip {scenario.name} / {workers} workers: {reason}", flush=True)
        skipped += [{"scenario": f"{scenario.name} ({workers} workers)", "server": server.name, "reason": reason}
                    for server in servers]
    return placements


def run_bench(options):
    _raise_file_limit()
    static_root = runner.make_static_root(Path(tempfile.gettempdir()) / "uring-bench-static", FILE_SIZES)
    if options.list:
        _list(options, static_root)
        return 0
    _check_tools(["taskset", "wrk", "h2load", "curl"])
    names = list(SCENARIOS) if options.scenario == "all" else _split(options.scenario)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"perf/bench: unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    out = _out_dir(options)
    metadata = report.machine_metadata()
    _warn_if_busy()
    runs, skipped, versions = [], [], {}
    for name in names:
        scenario = _with_ws_overrides(SCENARIOS[name], options)
        connection_counts = ([int(count) for count in _split(options.sweep)] or scenario.sweep
                             or [options.connections or scenario.connections])
        servers = _ready_servers(scenario, options, static_root, skipped, versions)
        for placement in _placements(scenario, servers, skipped):
            # Servers take turns within each repeat (A B A B, not A A B B), so noise that comes and goes on a
            # shared machine falls on all of them alike.
            for connections in connection_counts:
                connections *= placement.workers
                for repeat in range(options.repeat):
                    for server in servers:
                        result = _measure_one(scenario, server, connections, repeat, options, static_root, placement)
                        result["repeat"] = repeat + 1
                        result["version"] = versions[server.name]
                        result["meta"] = metadata
                        runs.append(result)
                        suffix = f"-r{repeat + 1}" if options.repeat > 1 else ""
                        workers = f"-w{placement.workers}" if len(scenario.workers) > 1 else ""
                        report.write_json(out / f"{name}-{server.name}{workers}-c{connections}{suffix}.json", result)
    return _finish(out, runs, skipped, metadata, versions, options)


def _finish(out, runs, skipped, metadata, versions, options):
    summary = {"meta": metadata, "versions": versions, "skipped": skipped,
               "runs": [{key: value for key, value in run.items() if key != "meta"} for run in runs]}
    report.write_json(out / "summary.json", summary)
    markdown = report.markdown_table(runs, skipped, metadata, versions)
    (out / "summary.md").write_text(markdown + "\n")
    if not options.no_plots and any("error" not in run for run in runs):
        try:
            from . import plots
            for path in plots.scenario_bars(runs, out):
                print(f"plot {path}")
        except ImportError as error:
            print(f"no plots: {error} (apt-get install python3-matplotlib, or run with /usr/bin/python3)")
    print()
    print(markdown)
    print(f"results: {out}")
    return 1 if any("error" in run for run in runs) else 0


def run_soak(options):
    _raise_file_limit()
    _check_tools(["taskset", "h2load"])
    out = _out_dir(options)
    static_root = runner.make_static_root(Path(tempfile.gettempdir()) / "uring-bench-static", {})
    metadata = report.machine_metadata()
    seconds = max(1, round(options.minutes * 60))
    soak = SOAKS[options.app]
    connections = options.connections or soak.connections
    soaks = []
    for server in _pick_servers(options, soak.servers):
        ctx = runner.make_context(runner.free_port(), static_root, options)
        reason = server.missing(ctx)
        if reason or soak.kind not in server.commands:
            print(f"skip soak / {server.name}: {reason or 'no soak configuration'}", flush=True)
            continue
        record = {"server": server.name, "version": server.version(ctx), "seconds": seconds,
                  "app": options.app, "connections": connections}
        print(f"soak {server.name} for {seconds} s ...", end=" ", flush=True)
        try:
            with runner.running_server(server, soak.kind, ctx, soak.path) as process:
                record["command"] = process.argv
                runner.prime(soak, ctx.port)
                with procstat.RssSampler(process.pid) as rss:
                    load, command = loadgen.run("h2load", f"http://127.0.0.1:{ctx.port}{soak.path}",
                                                connections, seconds, log_path=ctx.workdir / "h2load.log")
                record.update({"load_command": command, "requests": load["requests"], "rps": load["rps"],
                               "errors": load["errors"], "rss_samples": rss.samples,
                               "rss_kib": {"first": rss.samples[0][1], "peak": rss.peak_kib, "final": rss.final_kib}})
            growth = (record["rss_kib"]["final"] - record["rss_kib"]["first"]) / 1024
            print(f"{load['requests']:,} responses, RSS {record['rss_kib']['first'] / 1024:.0f} -> "
                  f"{record['rss_kib']['final'] / 1024:.0f} MiB ({growth:+.0f})", flush=True)
        except Exception as error:  # keep the other servers' curves
            record["error"] = str(error)
            print(f"FAILED: {str(error).splitlines()[0]}", flush=True)
        soaks.append(record)
        shutil.rmtree(ctx.workdir, ignore_errors=True)
        time.sleep(1)
    report.write_json(out / "soak.json", {"meta": metadata, "minutes": options.minutes, "app": options.app,
                                              "soaks": soaks})
    if not options.no_plots:
        try:
            from . import plots
            print("plot", plots.soak_rss([soak for soak in soaks if "rss_samples" in soak], out / "soak-rss.png",
                                         options.minutes, options.app))
        except ImportError as error:
            print(f"no plots: {error}")
    print(f"results: {out}")
    return 0


def bench_main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:
        return run_soak(soak_parser().parse_args(argv[1:]))
    if argv[:1] == ["replace"]:
        from .replacement import replace_parser, run_replace
        options = replace_parser().parse_args(argv[1:])
        _raise_file_limit()
        _check_tools(["taskset", "wrk"])
        return run_replace(options, _out_dir(options))
    options = bench_parser().parse_args(argv)
    if options.setup_peers:
        from .peers import setup_peers
        setup_peers(options.peers_python)
        return 0
    return run_bench(options)


FLAMEGRAPH_TOOLS = ["flamegraph.pl", "stackcollapse-perf.pl", "inferno-flamegraph", "flamegraph"]


def profile_main(argv=None):
    parser = argparse.ArgumentParser(
        prog="perf/profile",
        description="`perf record -g -e cpu-clock` of one server under one scenario's load, then "
                    "`perf report --stdio`. (This VM exposes only software counters, hence cpu-clock.)")
    parser.add_argument("scenario", choices=list(SCENARIOS))
    parser.add_argument("server", choices=list(SERVERS))
    parser.add_argument("--duration", type=int, default=10, help="seconds recorded under load [%(default)s]")
    parser.add_argument("--connections", type=int)
    parser.add_argument("--lines", type=int, default=60, help="report lines printed [%(default)s]")
    _common_options(parser)
    options = parser.parse_args(argv)
    _raise_file_limit()
    _check_tools(["taskset", "wrk", "h2load", "perf"])
    scenario, server = SCENARIOS[options.scenario], SERVERS[options.server]
    if scenario.kind not in server.commands:
        raise SystemExit(f"perf/profile: {server.name} has no {scenario.kind} configuration")
    out = _out_dir(options)
    static_root = runner.make_static_root(Path(tempfile.gettempdir()) / "uring-bench-static", FILE_SIZES)
    ctx = runner.make_context(runner.free_port(), static_root, options)
    reason = server.missing(ctx)
    if reason:
        raise SystemExit(f"perf/profile: cannot run {server.name}: {reason}")
    data = out / f"{scenario.name}-{server.name}.perf.data"
    connections = options.connections or scenario.connections
    with runner.running_server(server, scenario.kind, ctx, scenario.path if not scenario.post_body_length else "/",
                               scenario.protocol) as process:
        runner.prime(scenario, ctx.port)
        pids = ",".join(str(pid) for pid in procstat.process_tree(process.pid))
        record = subprocess.Popen(["taskset", "-c", loadgen.CLIENT_CPU, "perf", "record", "-g", "-e", "cpu-clock",
                                   "-o", str(data), "-p", pids], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
        time.sleep(0.3)
        load, _ = loadgen.run(scenario.tool, scenario.url("127.0.0.1", ctx.port), connections,
                              options.duration, scenario.lua_script, ctx.workdir / "h2load.log", scenario.ws)
        record.send_signal(2)  # SIGINT: perf record writes its file and exits
        record.communicate(timeout=60)
    # A flat profile to read at a glance, and the call graphs in a file beside it.
    flat_path = out / f"{scenario.name}-{server.name}.flat.txt"
    graph_path = out / f"{scenario.name}-{server.name}.callgraph.txt"
    for path, extra in ((flat_path, ["-g", "none", "--sort", "comm,dso,symbol"]), (graph_path, [])):
        with open(path, "w") as report_file:
            subprocess.run(["perf", "report", "--stdio", "--no-children", "--percent-limit", "0.5", *extra,
                            "-i", str(data)], stdout=report_file, stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(ctx.workdir, ignore_errors=True)
    lines = [line for line in flat_path.read_text(errors="replace").splitlines() if line.strip()]
    print("\n".join(lines[:options.lines]))
    print(f"\n{load['rps']:,.0f} {'rt' if scenario.ws else 'req'}/s while recording; flat profile: {flat_path}; call graphs: {graph_path}; "
          f"data: {data}")
    tool = next((name for name in FLAMEGRAPH_TOOLS if shutil.which(name)), None)
    if tool:
        print(f"flame graph tool found ({tool}): perf script -i {data} | stackcollapse-perf.pl | flamegraph.pl")
    else:
        print("no flame graph: Debian 12 packages no FlameGraph/inferno tool, so this gives the perf report only")
    return 0
