"""A PostgreSQL 15 cluster kept under ``bench/.data/pg`` between benchmark runs,
so the 5,000-agency dataset (about 15 minutes to generate) is seeded once.

    .venv/bin/python bench/pgserver.py start   # prints the server URL
    .venv/bin/python bench/pgserver.py stop

The cluster is a throwaway one (``fsync=off``, trust authentication,
listening on 127.0.0.1 only), started through the same code as the tests'
(``tests/pg.py``); ``stop`` shuts it down and keeps its files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pg import SERVER_OS_USER, ThrowawayPostgres, find_bindir

HOME = Path(__file__).resolve().parent / ".data" / "pg"
PORT_FILE = HOME / "port"


class BenchPostgres(ThrowawayPostgres):
    """A :class:`ThrowawayPostgres` whose files outlive it."""

    def __init__(self) -> None:
        super().__init__(dbname="postgres")

    def start(self) -> BenchPostgres:
        self._bindir = self._bindir or find_bindir()
        self.base_dir = HOME
        fresh = not (self.data_dir / "PG_VERSION").exists()
        if fresh:
            HOME.mkdir(parents=True, exist_ok=True)
            shutil.chown(HOME, user=SERVER_OS_USER, group=None)
            self._run("initdb", "-A", "trust", "-U", "postgres", "-D", str(self.data_dir), "-E", "UTF8",
                      "--locale=C", "--no-sync")
        if (self.data_dir / "postmaster.pid").exists() and PORT_FILE.exists():
            self.port = int(PORT_FILE.read_text())
        else:
            self._start_server()
            PORT_FILE.write_text(str(self.port))
        self._running = True
        return self

    def stop(self) -> None:
        if self.base_dir is not None:
            self._pg_ctl_stop()
        self._running = False


def main() -> int:
    server = BenchPostgres()
    if sys.argv[1:] == ["stop"]:
        server.base_dir = HOME
        server._bindir = find_bindir()
        server.stop()
        return 0
    print(server.start().url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
