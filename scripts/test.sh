#!/usr/bin/env bash
# The one command that prepares everything and runs the tests.
#   scripts/test.sh                      # everything (defaults from pytest.ini)
#   scripts/test.sh tests/unit -x        # any pytest arguments
#   scripts/test.sh -m "not postgres"    # skip the PostgreSQL variants
# System packages (chromium for the browser tests, DejaVu fonts for PDFs,
# PostgreSQL server binaries for the throwaway cluster) are installed with
# apt-get when missing and we are root; otherwise a warning is printed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "test: preparing Python environment"
scripts/setup.sh

can_apt() {
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1
}

# apt-get install, refreshing the package lists only if the first try fails.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
        echo "test: apt-get install failed, running apt-get update and retrying"
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "$@" >/dev/null
    fi
}

# need <description> <package> <check command...>: install <package> unless the check passes.
need() {
    local what=$1 pkg=$2
    shift 2
    if "$@"; then
        return 0
    fi
    if can_apt; then
        echo "test: installing $pkg ($what)"
        apt_install "$pkg"
    else
        echo "test: WARNING: $what missing and cannot apt-get install $pkg (not root or no apt); related tests may fail or skip" >&2
    fi
}

has_chromium() { [ -x /usr/bin/chromium ]; }
has_dejavu() {
    dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "install ok installed"
}
has_postgres() {
    [ -n "${TEST_POSTGRES_URL:-}" ] ||
        [ -n "${PG_BIN:-}" ] ||
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
        command -v initdb >/dev/null 2>&1
}

need "chromium browser" chromium has_chromium
need "DejaVu fonts" fonts-dejavu-core has_dejavu
need "PostgreSQL server binaries" postgresql has_postgres

if [ "$#" -eq 0 ] || [ "${CI:-}" = "true" ]; then
    # The whole run also checks lint and types; any finding fails it.
    echo "test: ruff check ."
    .venv/bin/python -m ruff check .
    echo "test: mypy billing services"
    .venv/bin/python -m mypy billing services
fi

echo "test: running pytest ${*:-(defaults from pytest.ini)}"
exec .venv/bin/python -m pytest "$@"
