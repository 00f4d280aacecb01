"""`perf/bench --setup-peers`: the peers' virtual environments, from PyPI at pinned versions."""

import glob
import shutil
import subprocess
from pathlib import Path

from .servers import GRANIAN_17_VENV, PEERS_VENV, PERF, REPO

CONSTRAINTS = REPO / "scripts" / "constraints.txt"
PYENV_VERSIONS = Path("/root/.pyenv/versions")


def pyenv_python(minor):
    """The newest pyenv CPython X.Y, or None."""
    def version_key(path):
        return [int(part) for part in Path(path).parents[1].name.split(".") if part.isdigit()]

    candidates = sorted(glob.glob(str(PYENV_VERSIONS / f"{minor}.*" / "bin" / "python")), key=version_key)
    return Path(candidates[-1]) if candidates else None


def venv_python_version(venv_dir):
    """X.Y of the interpreter a virtual environment was made with, or None."""
    config = Path(venv_dir) / "pyvenv.cfg"
    if config.exists():
        for line in config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return ".".join(value.strip().split(".")[:2])
    return None


def _python_minor(python):
    completed = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def _make_venv(path, python, requirements):
    if (path / "bin" / "python").exists() and venv_python_version(path) != _python_minor(python):
        print(f"{path} was made with Python {venv_python_version(path)}; making it again with {python}")
        shutil.rmtree(path)
    if not (path / "bin" / "python").exists():
        print(f"creating {path} with {python}", flush=True)
        subprocess.run([str(python), "-m", "venv", str(path)], check=True)
    command = [str(path / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
               "-r", str(requirements)]
    if CONSTRAINTS.exists():
        command += ["-c", str(CONSTRAINTS)]
    print(" ".join(command), flush=True)
    subprocess.run(command, check=True)


def setup_peers(peers_python=None):
    # Peers run on the interpreter of the project's default .venv, so only the server differs.
    minor = peers_python or venv_python_version(REPO / ".venv") or "3.12"
    python = Path(minor) if "/" in minor else pyenv_python(minor)
    if python is None:
        raise SystemExit(f"no CPython {minor} under {PYENV_VERSIONS}; pass --peers-python PATH")
    _make_venv(PEERS_VENV, python, PERF / "envs" / "peers.txt")
    python_312 = pyenv_python("3.12")
    if python_312 is None:
        print("no CPython 3.12 under pyenv: skipping the Granian 1.7 soak environment")
        return
    _make_venv(GRANIAN_17_VENV, python_312, PERF / "envs" / "granian-1.7.txt")
    print("peers ready:", PEERS_VENV, GRANIAN_17_VENV)


