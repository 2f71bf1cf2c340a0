#!/usr/bin/env bash
# Prepare the Python environment: .venv in the repo root, installed from a lock
# file (exact versions, hash-checked), so two fresh installs are identical.
#   scripts/setup.sh          # requirements-dev.lock: the app, the tests and the benchmarks
#   scripts/setup.sh --app    # requirements.lock: only the app (what scripts/run.sh uses)
# Idempotent and fast on re-runs: nothing is installed unless the locks change.
# Works from any directory.  Override the interpreter with PYTHON=/path/to/python.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The installer: uv, pinned, into the venv itself (about 10 s for a fresh
# install instead of about 60 s with pip; pip is the fallback).
UV_VERSION=0.13.9

LOCK=requirements-dev.lock
case "${1:-}" in
    "") ;;
    --app) LOCK=requirements.lock ;;
    *)
        echo "usage: scripts/setup.sh [--app]" >&2
        exit 2
        ;;
esac

# True when "$1" is a runnable Python >= 3.11.
python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

# Pick the first suitable interpreter.
PY=""
for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
        PY="$candidate"
        break
    fi
done
if [ -z "$PY" ]; then
    echo "setup: Python >= 3.11 not found (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi

# Create the virtualenv; recreate it only if it exists but is unusable.
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
    "$PY" -m venv .venv
elif ! python_ok .venv/bin/python; then
    echo "setup: .venv is broken or too old, recreating it"
    "$PY" -m venv --clear .venv
fi

# The stamp names the lock installed and hashes both lock files (and the
# installer's version), so editing either lock reinstalls.
STAMP=.venv/.requirements-stamp
stamp_for() {
    { echo "$1 uv $UV_VERSION"; cat requirements.lock requirements-dev.lock; } | .venv/bin/python -c \
        'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}
wanted=$(stamp_for "$LOCK")
have=$(cat "$STAMP" 2>/dev/null || true)
# The dev lock is compiled with requirements.lock as constraints (same pins),
# so a venv holding the dev lock also holds the app lock.
if [ "$have" = "$wanted" ] || { [ "$LOCK" = requirements.lock ] && [ "$have" = "$(stamp_for requirements-dev.lock)" ]; }; then
    echo "setup: requirements up to date"
    exit 0
fi

rm -f "$STAMP"
echo "setup: installing $LOCK into .venv"
# uv pip sync also removes whatever the lock does not list (uv itself and pip stay).
if .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" &&
    .venv/bin/uv pip sync --quiet --python .venv/bin/python --require-hashes "$LOCK"; then
    :
else
    echo "setup: uv failed, installing $LOCK with pip"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$LOCK"
fi
echo "$wanted" > "$STAMP"
