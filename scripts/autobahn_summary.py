"""Reads Autobahn|Testsuite's REPORTS/AGENT/index.json files and prints a Markdown summary per agent; exits 1 when a case is
FAILED or NON-STRICT (or UNIMPLEMENTED with --strict 1), or a close behaviour is FAILED. Used by scripts/autobahn.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import subprocess
import sys

# What each verdict means for the gate. INFORMATIONAL cases only describe (e.g. which close code was seen).
ALWAYS_BAD = {"FAILED", "NON-STRICT", "WRONG CODE", "UNCLEAN"}


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def case_key(case_id: str) -> tuple:
    return tuple(int(part) for part in case_id.split("."))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", required=True, help="the folder holding one report folder per agent")
    parser.add_argument("--strict", default="0")
    parser.add_argument("--cases", default="")
    parser.add_argument("--report", default="")
    parser.add_argument("agents", nargs="+")
    args = parser.parse_args()
    bad = set(ALWAYS_BAD)
    if args.strict == "1":
        bad.add("UNIMPLEMENTED")

    lines = [
        f"# Autobahn|Testsuite fuzzingclient, cases {args.cases}",
        "",
        f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit()}, "
        f"kernel {platform.release()}, CPU {platform.processor() or platform.machine()}, "
        f"autobahntestsuite 25.10.1 on CPython 2.7; command `scripts/autobahn --cases {args.cases}`",
        "",
        "| agent | cases | OK | INFORMATIONAL | NON-STRICT | FAILED | UNIMPLEMENTED | close not OK |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failures = []
    for agent in args.agents:
        index_path = os.path.join(args.reports, agent, "index.json")
        try:
            with open(index_path) as stream:
                results = json.load(stream).get(agent, {})
        except OSError:
            results = {}
        if not results:
            failures.append(f"{agent}: no results in {index_path}")
            continue
        counts = collections.Counter(result["behavior"] for result in results.values())
        close_bad = [case for case, result in results.items()
                     if result.get("behaviorClose") in ("FAILED", "WRONG CODE", "UNCLEAN")]
        for case in sorted(results, key=case_key):
            behavior = results[case]["behavior"]
            if behavior in bad:
                failures.append(f"{agent} {case}: {behavior} (close: {results[case].get('behaviorClose')})")
        failures.extend(f"{agent} {case}: close {results[case]['behaviorClose']}" for case in close_bad)
        lines.append(f"| {agent} | {len(results)} | {counts['OK']} | {counts['INFORMATIONAL']} | "
                     f"{counts['NON-STRICT']} | {counts['FAILED']} | {counts['UNIMPLEMENTED']} | {len(close_bad)} |")
    lines.append("")
    if failures:
        lines.append("Not OK:")
        lines.extend(f"- {failure}" for failure in failures)
    else:
        lines.append("Every case OK (or INFORMATIONAL" + (")." if args.strict == "1" else ", or UNIMPLEMENTED)."))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.report:
        with open(args.report, "w") as stream:
            stream.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
