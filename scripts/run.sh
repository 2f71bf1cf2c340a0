#!/usr/bin/env bash
# The one command that prepares everything and starts the dashboard.
# Extra arguments go to `streamlit run`, e.g.  scripts/run.sh --server.port 8600
# The database comes from DATABASE_URL (default: SQLite under data/); the app
# migrates and seeds it itself.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "run: preparing Python environment"
scripts/setup.sh --app  # requirements.lock only; a venv set up for the tests has it too

echo "run: starting Streamlit"
exec .venv/bin/python -m streamlit run app.py --server.headless true "$@"
