#!/usr/bin/env bash
# Prepare the Python environment: .venv in the repo root with requirements-dev.txt.
# Idempotent and fast on re-runs: pip only runs when the requirements change.
# Works from any directory.  Override the interpreter with PYTHON=/path/to/python.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

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

# Install requirements unless the stamp matches what is already installed.
STAMP=.venv/.requirements-stamp
wanted=$(cat requirements.txt requirements-dev.txt | .venv/bin/python -c \
    'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
    echo "setup: requirements up to date"
else
    echo "setup: installing requirements-dev.txt into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    echo "$wanted" > "$STAMP"
fi
