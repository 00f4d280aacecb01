# Sourced by scripts/build and scripts/wheel (bash, from the repo root): finding interpreters and the build
# requirements of pyproject.toml, written once.

# find_python 3.X: the newest patch release of CPython 3.X, pyenv's versions first, then python3.X on PATH;
# prints nothing when there is none.
find_python() {
    local minor=$1 candidate
    candidate=$(find /root/.pyenv/versions -maxdepth 1 -regextype posix-extended \
                     -regex ".*/${minor//./\\.}\.[0-9]+" 2>/dev/null | sort -V | tail -n 1)
    if [[ -n "$candidate" && -x "$candidate/bin/python" ]]; then
        echo "$candidate/bin/python"
    elif command -v "python$minor" >/dev/null; then
        command -v "python$minor"
    fi
}

# build_requirements PYTHON: pyproject.toml's [build-system] requires, one a line. Builds here run without build
# isolation (the CMake build directories stay warm between runs), so these go into the venv that builds.
build_requirements() {
    "$1" - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f).get("build-system", {}).get("requires", [])))
PY
}
