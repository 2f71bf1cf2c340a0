#!/usr/bin/env bash
# The one command that prepares everything and starts the dashboard.
# Extra arguments go to `streamlit run`, e.g.  scripts/run.sh --server.port 8600
# The database comes from DATABASE_URL (default: SQLite under data/). An empty
# database (no agencies, no accounts) gets the demo portfolio first, with its
# progress here in the terminal; BILLING_AUTO_SEED=0 skips that. A database
# with real accounts is never seeded.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "run: preparing Python environment"
scripts/setup.sh --app  # requirements.lock only; a venv set up for the tests has it too

export BILLING_AUTO_SEED="${BILLING_AUTO_SEED:-1}"
if [ "$BILLING_AUTO_SEED" = "1" ]; then
    echo "run: migrating, and seeding the demo portfolio if the database is empty"
    .venv/bin/python manage.py seed --if-empty > /dev/null
fi

echo "run: computing the portfolio once, then starting Streamlit (http://localhost:8501 unless --server.port says otherwise; sign-in accounts: see README.md)"
exec .venv/bin/python manage.py serve --server.headless true "$@"
