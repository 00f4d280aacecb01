"""scripts/seccomp-profile and the profile it made, scripts/seccomp/io-uring-allowed.json (issue 13): Docker's default
seccomp profile with io_uring_setup, io_uring_enter and io_uring_register allowed, and nothing else changed."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "scripts" / "seccomp-profile"
PROFILE = REPO_ROOT / "scripts" / "seccomp" / "io-uring-allowed.json"
IO_URING = {"io_uring_setup", "io_uring_enter", "io_uring_register"}


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=30)


def unconditionally_allowed(profile: dict[str, Any]) -> set[str]:
    return {
        name
        for rule in profile["syscalls"]
        if rule["action"] == "SCMP_ACT_ALLOW" and not any(key in rule for key in ("args", "includes", "excludes"))
        for name in rule["names"]
    }


def docker_25_like(profile: dict[str, Any]) -> dict[str, Any]:
    """`profile` with io_uring gone from its allow list, as moby PR #46762 did, and a rule refusing one of the calls
    together with another (which must keep its refusal)."""
    changed = copy.deepcopy(profile)
    for rule in changed["syscalls"]:
        rule["names"] = [name for name in rule["names"] if name not in IO_URING]
    changed["syscalls"].append({"names": ["io_uring_setup", "kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    return changed


def test_the_committed_profile_allows_io_uring_for_every_caller():
    profile = json.loads(PROFILE.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert unconditionally_allowed(profile) >= IO_URING


def test_the_committed_profile_is_what_the_script_makes_of_it(tmp_path):
    result = run_script(str(PROFILE), "--output", str(tmp_path / "again.json"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "seccomp-profile: added nothing (io_uring was already allowed)\n"
    assert (tmp_path / "again.json").read_text() == PROFILE.read_text()


def test_a_profile_without_io_uring_gets_exactly_the_three_calls_added(tmp_path):
    original = docker_25_like(json.loads(PROFILE.read_text()))
    source = tmp_path / "default.json"
    source.write_text(json.dumps(original, indent="\t"))
    result = run_script(str(source))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "seccomp-profile: added io_uring_setup, io_uring_enter, io_uring_register\n"
    made = json.loads(result.stdout)
    assert unconditionally_allowed(made) >= IO_URING
    *kept, refusal, added = made["syscalls"]
    assert kept == original["syscalls"][:-1]  # every other rule as it was, in its place
    assert refusal == {"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    assert added["names"] == ["io_uring_setup", "io_uring_enter", "io_uring_register"]
    assert {key: value for key, value in made.items() if key != "syscalls"} == {
        key: value for key, value in original.items() if key != "syscalls"
    }


def test_something_else_than_a_profile_is_one_error_line(tmp_path):
    source = tmp_path / "not-a-profile.json"
    source.write_text('{"syscalls": 3}')
    result = run_script(str(source))
    assert result.returncode == 1
    assert result.stdout == ""
    expected = 'not a Docker seccomp profile: it needs "defaultAction" and a "syscalls" list'
    assert result.stderr.splitlines() == [f"seccomp-profile: error: {source}: {expected}"]
