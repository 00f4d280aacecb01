"""`perf/bench replace`: client errors per worker replacement under steady keep-alive load (issue 15).

A server with --workers 2 serves the ASGI hello app to `wrk -c64` for the whole run; after a short steady start the
driver sends SIGHUP (a rolling restart: each worker replaced by a new one) every --interval seconds, --restarts
times, and lets the load run a little longer after the last. The figure is wrk's socket errors (connect, read,
write, timeout) plus non-2xx responses, divided by the replacements (restarts x workers). `--mode lifetime` replaces
workers through --workers-lifetime instead of SIGHUP (uring_granian only: Granian's lifetime has a 60 s minimum).
`--mode sigterm` stops the server with SIGTERM under keep-alive load, --restarts times (a fresh server each time).
wrk counts the connects refused once the listeners are closed (what a stopped server must do) as read or write
errors, so this mode uses stopload.py's clients: the figure is errors per stop (connections accepted then dropped,
responses cut short, non-2xx, hung), with the refused connects beside it.

Replacements are counted from each server's log (REPLACEMENT_LINES), so a restart that did not finish within the
interval shows; a server without a known line gets the nominal restarts x workers, marked so.
"""

import argparse
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from . import loadgen, report, runner, stopload
from .servers import HOST, SERVERS, default_uring_python, default_uring_serve

DEFAULT_SERVERS = ["uring_granian", "uring_granian-epoll", "granian"]
WORKERS = 2
CONNECTIONS = 64
STEADY_START_S = 2
SETTLE_AFTER_S = 3
STOP_CLIENTS = 16  # --mode sigterm: keep-alive clients (Python threads; wrk cannot tell a refusal from a loss)
# The log line each server writes once per replaced worker; servers not listed get the nominal count.
REPLACEMENT_LINES = {"uring_granian": "ready, replacing pid", "granian": "Respawning worker-"}


def _with_workers(argv, workers, extra=()):
    """The server's one-worker ASGI command line with `workers` workers and `extra` options before the app."""
    argv = list(argv)
    argv[argv.index("--workers") + 1] = str(workers)
    if "--log-level" in argv:  # the replacements are counted from the info lines
        argv[argv.index("--log-level") + 1] = "info"
    return [*argv[:-1], *extra, argv[-1]]


def run_stops(server, ctx, options):
    """`--mode sigterm`: --restarts runs of steady keep-alive load, SIGTERM, and the load going on until every
    client's connect is refused (stopload.py sorts the outcomes; wrk would count the refusals as errors)."""
    base = server.commands["asgi"]
    patched = dict(server.commands, replace=lambda c: ["env", "PYTHONUNBUFFERED=1", *_with_workers(base(c), WORKERS)])
    stopping = type(server)(server.name, server.role, patched, server.missing, server.version, server.env)
    outcomes, examples, exit_codes, argv = Counter(), [], [], []
    for _ in range(options.restarts):
        with runner.running_server(stopping, "replace", ctx, "/") as process:
            clients = [stopload.KeepAliveClient(HOST, ctx.port) for _ in range(STOP_CLIENTS)]
            for client in clients:
                client.start()
            time.sleep(STEADY_START_S)
            process.send_signal(signal.SIGTERM)
            exit_codes.append(process.wait(timeout=60))
            for client in clients:
                client.join(SETTLE_AFTER_S)
                client.halt.set()  # a server that never refuses (still listening after its exit?) ends the run
            for client in clients:
                client.join(20)
            argv = process.argv
        outcomes += stopload.total(clients)
        examples += [example for client in clients for example in client.examples]
    lost = sum(outcomes[kind] for kind in stopload.LOSSES)
    return {"server": server.name, "mode": "sigterm", "workers": WORKERS, "connections": STOP_CLIENTS,
            "restarts": options.restarts, "command": argv, "replacements": options.restarts,
            "replacements_counted_from_log": True, "exit_codes": exit_codes, "requests": outcomes["ok"],
            "outcomes": dict(outcomes), "loss_examples": examples[:10],
            "errors": {"socket": lost - outcomes["non_2xx"], "non_2xx": outcomes["non_2xx"],
                       "refused_connects": outcomes["refused"]},
            "errors_per_replacement": lost / options.restarts if options.restarts else None}


def run_one(server, ctx, options):
    if options.mode == "sigterm":
        return run_stops(server, ctx, options)
    extra = ()
    if options.mode == "lifetime":
        if not server.name.startswith("uring_granian"):
            raise runner.RunError("--mode lifetime: only uring_granian (Granian's --workers-lifetime is 60 s or more)")
        extra = ("--workers-lifetime", str(options.interval))
    base = server.commands["asgi"]
    # PYTHONUNBUFFERED: a peer's log reaches the file as it happens (and survives a SIGKILL at the end), through
    # env(1), which execs: the pid signalled stays the server's.
    patched = dict(server.commands,
                   replace=lambda c: ["env", "PYTHONUNBUFFERED=1", *_with_workers(base(c), WORKERS, extra)])
    replaced = type(server)(server.name, server.role, patched, server.missing, server.version, server.env)
    seconds = STEADY_START_S + options.restarts * options.interval + SETTLE_AFTER_S
    command = loadgen.wrk_command(f"http://{HOST}:{ctx.port}/", CONNECTIONS, seconds)
    with runner.running_server(replaced, "replace", ctx, "/") as process:
        wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        signals = 0
        if options.mode == "sighup":
            time.sleep(STEADY_START_S)
            for _ in range(options.restarts):
                process.send_signal(signal.SIGHUP)
                signals += 1
                time.sleep(options.interval)
        output, errors = wrk.communicate(timeout=seconds + 60)
        argv, log_path = process.argv, process.log_path
    # Read once the server has exited: a peer writing its log to a pipe-like file flushes it then.
    log = log_path.read_text(errors="replace")
    if wrk.returncode != 0:
        raise runner.RunError(f"{' '.join(command)} failed ({wrk.returncode}): {errors.strip()}")
    load = loadgen.parse_wrk(output)
    line = REPLACEMENT_LINES.get(server.name.split("-")[0] if server.name.startswith("uring_granian") else server.name)
    counted = log.count(line) if line else None
    replacements = counted if counted is not None else signals * WORKERS
    failures = load["errors"]["socket"] + load["errors"]["non_2xx"]
    return {"server": server.name, "mode": options.mode, "workers": WORKERS, "connections": CONNECTIONS,
            "restarts": options.restarts, "interval_s": options.interval, "command": argv, "load_command": command,
            "replacements": replacements, "replacements_counted_from_log": counted is not None,
            "requests": load["requests"], "rps": load["rps"], "errors": load["errors"],
            "wrk_error_lines": [line.strip() for line in output.splitlines() if "errors" in line.lower()],
            "errors_per_replacement": failures / replacements if replacements else None}


def markdown(records, metadata, versions):
    stops = bool(records) and records[0].get("mode") == "sigterm"
    what = "stop" if stops else "replacement"
    load = f"{STOP_CLIENTS} keep-alive clients" if stops else f"wrk -c{CONNECTIONS}"
    lines = [f"# {'SIGTERM' if stops else 'worker replacement'} under {load} "
             f"({records[0]['mode'] if records else '-'})", "",
             f"Run of {metadata['date']} on {metadata['cpu_model']} ({metadata['cpus']} CPUs), kernel "
             f"{metadata['kernel']}, commit {str(metadata['git_commit'])[:12]}"
             f"{' (dirty tree)' if metadata['git_dirty'] else ''}. {metadata['pinning']}. {WORKERS} workers; "
             + (f"{STOP_CLIENTS} keep-alive clients (perf/benchkit/stopload.py); errors per stop = (connections "
                "accepted then dropped + responses cut + non-2xx + hung) / SIGTERMs; connects refused after the "
                "listeners closed are not errors (last column)." if stops else
                "errors per replacement = (wrk socket errors + non-2xx) / replacements."), "",
             f"| server | version | {what}s | requests | socket errors | non-2xx | errors per {what} |"
             + (" refused connects |" if stops else ""),
             "|---|---|---:|---:|---:|---:|---:|" + ("---:|" if stops else "")]
    for record in records:
        if "error" in record:
            lines.append(f"| {record['server']} | {versions.get(record['server'], '')} | FAILED: "
                         f"{record['error'].splitlines()[0]} | | | | |")
            continue
        per = record["errors_per_replacement"]
        lines.append(f"| {record['server']} | {versions.get(record['server'], '')} | {record['replacements']}"
                     f"{'' if record['replacements_counted_from_log'] else ' (nominal)'} | {record['requests']:,} | "
                     f"{record['errors']['socket']} | {record['errors']['non_2xx']} | "
                     f"{'-' if per is None else f'{per:.2f}'} |"
                     + (f" {record['errors']['refused_connects']} |" if stops else ""))
    return "\n".join(lines)


def replace_parser():
    parser = argparse.ArgumentParser(prog="perf/bench replace",
                                     description="wrk socket errors and non-2xx responses per worker replacement.")
    parser.add_argument("--mode", choices=["sighup", "lifetime", "sigterm"], default="sighup",
                        help="rolling restarts by SIGHUP, --workers-lifetime replacements, or SIGTERM stops "
                             "[%(default)s]")
    parser.add_argument("--restarts", type=int, default=3,
                        help="SIGHUPs sent (sighup mode), or stops (sigterm mode) [%(default)s]")
    parser.add_argument("--interval", type=int, default=8,
                        help="seconds between SIGHUPs, or the --workers-lifetime [%(default)s]")
    parser.add_argument("--servers", help=f"comma-separated server names [{','.join(DEFAULT_SERVERS)}]")
    parser.add_argument("--out", type=Path, help="result directory (default perf/results/raw/<UTC stamp>)")
    parser.add_argument("--uring-serve", default=str(default_uring_serve()), help=argparse.SUPPRESS)
    parser.add_argument("--uring-python", default=str(default_uring_python()),
                        help="python with uring_granian installed [%(default)s]")
    return parser


def run_replace(options, out):
    names = [name.strip() for name in (options.servers or ",".join(DEFAULT_SERVERS)).split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS or "asgi" not in SERVERS[name].commands]
    if unknown:
        raise SystemExit(f"perf/bench replace: no ASGI server named {', '.join(unknown)}")
    static_root = runner.make_static_root(Path(tempfile.gettempdir()) / "uring-bench-static", {})
    metadata = report.machine_metadata()
    records, versions = [], {}
    for name in names:
        server = SERVERS[name]
        ctx = runner.make_context(runner.free_port(), static_root, options)
        reason = server.missing(ctx)
        if reason:
            print(f"skip replace / {name}: {reason}", flush=True)
            continue
        versions[name] = server.version(ctx)
        print(f"replace {name} ({options.mode}) ...", end=" ", flush=True)
        try:
            record = run_one(server, ctx, options)
            per = record["errors_per_replacement"]
            print(f"{record['replacements']} replacements, {record['errors']['socket']} socket errors, "
                  f"{record['errors']['non_2xx']} non-2xx: {'-' if per is None else f'{per:.2f}'} per replacement",
                  flush=True)
        except Exception as error:  # keep the other servers' rows
            record = {"server": name, "error": str(error)}
            print(f"FAILED: {str(error).splitlines()[0]}", flush=True)
        records.append(record)
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    report.write_json(out / "replace.json", {"meta": metadata, "versions": versions, "runs": records})
    table = markdown(records, metadata, versions)
    (out / "replace.md").write_text(table + "\n")
    print()
    print(table)
    print(f"results: {out}")
    return 1 if any("error" in record for record in records) else 0
