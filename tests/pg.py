"""A throwaway PostgreSQL cluster for the test session.

``ThrowawayPostgres().start()`` runs ``initdb`` in a temporary directory and
starts a server on a free port on 127.0.0.1 (durability switched off, since
the data is thrown away); ``stop()`` kills it and deletes the directory.

PostgreSQL refuses to run as root, so when we are root the directory is given
to the ``postgres`` OS user and the server tools run through
``runuser -u postgres --``.

The server binaries are looked up in ``$PG_BIN``, then
``/usr/lib/postgresql/15/bin``, then the newest ``/usr/lib/postgresql/*/bin``,
then ``pg_config --bindir``, then ``$PATH``.

The module also has small helpers to create and drop databases on any server
given a SQLAlchemy URL (used for the per-test databases).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

SERVER_OS_USER = "postgres"
SUPERUSER = "postgres"
DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")

# Durability is pointless for a cluster that is deleted afterwards.
FAST_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)


class PostgresUnavailable(RuntimeError):
    """The throwaway server could not be found, initialised or started."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    candidates.append(DEFAULT_BIN)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name))

    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            )
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)

    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; looked in "
        + ", ".join(str(c) for c in candidates)
        + " (install the 'postgresql' package or set PG_BIN)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connect_kwargs(url: str) -> dict:
    """psycopg connection keywords for a SQLAlchemy-style URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    kwargs = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }
    kwargs.update(parsed.query)  # e.g. sslmode
    return {k: v for k, v in kwargs.items() if v is not None}


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_database(url: str, name: str | None = None) -> str:
    """Create a new, empty database on the server of ``url``; return its URL.

    The name defaults to a unique ``test_<hex>``.
    """
    import psycopg
    from psycopg import sql

    name = name or f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(**_connect_kwargs(url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` on the server of ``server_url``, even if in use.

    ``server_url`` must point at another database of that server (we connect
    there to issue the DROP).
    """
    import psycopg
    from psycopg import sql

    with psycopg.connect(**_connect_kwargs(server_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class ThrowawayPostgres:
    """A private PostgreSQL server in a temporary directory.

    >>> pg = ThrowawayPostgres()
    >>> pg.start()           # doctest: +SKIP
    >>> pg.url               # postgresql+psycopg://postgres@127.0.0.1:PORT/test
    >>> pg.stop()            # doctest: +SKIP
    """

    def __init__(self, dbname: str = "test", bindir: Path | str | None = None) -> None:
        self.dbname = dbname
        self._bindir = Path(bindir) if bindir else None
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.startup_seconds: float | None = None
        self._running = False

    # -- paths ---------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "server.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the session database."""
        if not self._running:
            raise PostgresUnavailable("server is not running")
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{self.dbname}"

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` maintenance database."""
        return with_database(self.url, "postgres")

    # -- running the server tools ---------------------------------------------
    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_OS_USER, "--", *argv]
        return argv

    def _run(self, *argv: str, timeout: float = 120) -> None:
        cmd = self._as_server_user([str(self._bindir / argv[0]), *argv[1:]])
        try:
            result = subprocess.run(
                cmd,
                cwd=self.base_dir,  # the server user may not be able to read our cwd
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresUnavailable(f"{' '.join(cmd)}: {exc}{self._log_tail()}") from exc
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise PostgresUnavailable(
                f"{' '.join(cmd)} exited with {result.returncode}:\n{output}{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace").splitlines()
        except (OSError, AssertionError):
            return ""
        if not text:
            return ""
        return "\n--- tail of server log ---\n" + "\n".join(text[-lines:])

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> ThrowawayPostgres:
        if self._running:
            return self
        began = time.monotonic()
        self._bindir = self._bindir or find_bindir()
        self.base_dir = Path(tempfile.mkdtemp(prefix="pytest-pg-"))
        atexit.register(self.stop)  # in case the caller never gets to stop()
        try:
            if os.geteuid() == 0:
                if shutil.which("runuser") is None:
                    raise PostgresUnavailable("running as root but 'runuser' is not available")
                try:
                    shutil.chown(self.base_dir, user=SERVER_OS_USER, group=None)
                except (LookupError, OSError) as exc:
                    raise PostgresUnavailable(
                        f"running as root and cannot hand {self.base_dir} to the "
                        f"'{SERVER_OS_USER}' OS user: {exc}"
                    ) from exc
            self._run(
                "initdb", "-A", "trust", "-U", SUPERUSER, "-D", str(self.data_dir),
                "-E", "UTF8", "--locale=C", "--no-sync",
            )
            self._start_server()
            self._running = True
            create_database(self.admin_url, self.dbname)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _start_server(self) -> None:
        # The free port can be taken between picking and binding: retry a few times.
        last_error: PostgresUnavailable | None = None
        for _attempt in range(3):
            self.port = free_port()
            options = (
                f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 "
                f"{FAST_SETTINGS}"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-o", options,
                    "-l", str(self.log_file), "-w", "-t", "60", "start",
                )
                return
            except PostgresUnavailable as exc:
                last_error = exc
                if "already in use" not in self._log_tail(200):
                    break
                self._pg_ctl_stop()  # make sure nothing is half-running, then retry
        assert last_error is not None
        raise last_error

    def _pg_ctl_stop(self) -> None:
        if self.base_dir is None or not (self.data_dir / "postmaster.pid").exists():
            return
        with contextlib.suppress(PostgresUnavailable):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop",
                      timeout=60)

    def stop(self) -> None:
        """Stop the server (immediately, no checkpoint) and delete its files."""
        self._running = False
        if self.base_dir is None:
            return
        self._pg_ctl_stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
        atexit.unregister(self.stop)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
