"""Copying a database out and back in, consistently, while the practice keeps writing.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the whole database in one
step, one read transaction's snapshot; in WAL mode writers carry on meanwhile. PostgreSQL: a
``REPEATABLE READ`` transaction exports its snapshot, counts its rows in it, and ``pg_dump
--format=custom --snapshot`` dumps exactly that snapshot; ``pg_restore`` loads it into an empty
database in one transaction. The counts of every table travel with the copy, so a restore can
prove it holds what was copied.

Errors (messages name files, tools and tables, never content):

    ConfideError
    └── BackupError
        ├── BackupRefused          the backup file or what it holds cannot be trusted or used
        ├── RestoreTargetNotEmpty  the place to restore into already holds something
        └── BackupToolFailed       pg_dump or pg_restore is missing or failed
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from confide.domain import ConfideError
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.store.migrate import alembic_config

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
APP_ROLE = "confide_app"  # the role migration 0003 grants the application's rights to
_TOOL_TIMEOUT_SECONDS = 3600


class BackupError(ConfideError):
    """Base of the errors of backing up and restoring."""


class BackupRefused(BackupError):
    """The backup cannot be trusted or used; nothing was written."""


class RestoreTargetNotEmpty(BackupError):
    """The data directory or database to restore into already holds something."""


class BackupToolFailed(BackupError):
    """``pg_dump`` or ``pg_restore`` is missing or did not finish."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a consistent copy holds: its backend, schema revision and rows per table."""

    backend: str
    schema_revision: str
    counts: Mapping[str, int]


def backend_of(database_url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return SQLITE if make_url(database_url).get_backend_name() == SQLITE else POSTGRESQL


def snapshot_database(database_url: str, out: Path) -> Snapshot:
    """Copy the database at ``database_url`` into the file ``out``, consistently, while writers
    run: a SQLite database file, or a PostgreSQL custom-format dump."""
    if backend_of(database_url) == SQLITE:
        return _sqlite_snapshot(_sqlite_path(database_url), out)
    return _postgresql_snapshot(database_url, out)


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupRefused("CONFIDE_DATABASE_URL: a SQLite backup needs a database file")
    return Path(database)


def _sqlite_snapshot(source_path: Path, out: Path) -> Snapshot:
    if not source_path.exists():
        raise BackupRefused(f"the database {source_path} does not exist; nothing to back up")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        target = sqlite3.connect(out)
        try:
            # pages=-1: the whole database in one step, under one read transaction, so the copy
            # is a single snapshot even while other connections write (WAL lets them).
            source.backup(target, pages=-1)
        finally:
            target.close()
    finally:
        source.close()
    copy = create_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as c:
            if c.exec_driver_sql("PRAGMA integrity_check").scalar_one() != "ok":
                raise BackupRefused("the SQLite copy failed its integrity check; try again")
            snapshot = Snapshot(SQLITE, _revision(c), table_counts(c))
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        copy.dispose()
    return snapshot


def _postgresql_snapshot(database_url: str, out: Path) -> Snapshot:
    pg_dump = _tool("pg_dump")
    engine = make_engine(database_url)
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as c,
            c.begin(),
        ):
            # The dump and the counts read one snapshot: the header describes the dump exactly.
            snapshot_id = c.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = Snapshot(POSTGRESQL, _revision(c), table_counts(c))
            _run_tool(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    f"--file={out}",
                    "--no-password",
                    f"--dbname={_libpq_uri(database_url)}",
                ],
                database_url,
            )
    except OperationalError:
        raise BackupToolFailed(
            f"cannot connect to {_shown(database_url)}; check CONFIDE_DATABASE_URL"
        ) from None
    finally:
        engine.dispose()
    return snapshot


def table_counts(c: Connection) -> dict[str, int]:
    """Rows in every table of confide's schema, by table name."""
    return {
        table.name: c.execute(select(func.count()).select_from(table)).scalar_one()
        for table in t.metadata.sorted_tables
    }


def _revision(c: Connection) -> str:
    if not inspect(c).has_table("alembic_version"):
        raise BackupRefused("the database has no schema yet: run `confide init` first")
    revision = c.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    if revision is None:
        raise BackupRefused("the database has no schema revision: run `confide init` first")
    return str(revision)


def known_revision(revision: str) -> bool:
    """True if this confide's migrations know ``revision`` (a backup from a newer release
    does not)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def require_empty_database(database_url: str) -> None:
    """Refuse a PostgreSQL database that holds any table, or that cannot be reached."""
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    except OperationalError:
        raise RestoreTargetNotEmpty(
            f"--database-url: cannot connect to {_shown(database_url)}; create an empty "
            "database first (createdb) and give its URL"
        ) from None
    finally:
        engine.dispose()
    if tables:
        raise RestoreTargetNotEmpty(
            f"--database-url: {_shown(database_url)} already holds {len(tables)} tables; "
            "restore only into a new, empty database"
        )


def load_sqlite(payload: Path, database_file: Path) -> None:
    """Put a SQLite copy in place as ``database_file`` (never over an existing one)."""
    if database_file.exists():
        raise RestoreTargetNotEmpty(f"{database_file} already exists; restore into a new place")
    os.replace(payload, database_file)


def load_postgresql(payload: Path, database_url: str) -> None:
    """Restore a custom-format dump into an empty PostgreSQL database, in one transaction:
    on any error nothing of it stays. Objects are owned by the login user (who runs the
    migrations); the grants to ``confide_app`` come with the dump."""
    pg_restore = _tool("pg_restore")
    require_empty_database(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            # As migration 0003 does: the grants in the dump name this server-wide role.
            have = text("SELECT 1 FROM pg_roles WHERE rolname = :role")
            if c.execute(have, {"role": APP_ROLE}).first() is None:
                # nosemgrep: confide.raw-sql-from-strings - DDL: a constant name; none can be bound
                c.execute(text(f"CREATE ROLE {APP_ROLE} NOLOGIN"))
    finally:
        engine.dispose()
    _run_tool(
        [
            pg_restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            f"--dbname={_libpq_uri(database_url)}",
            str(payload),
        ],
        database_url,
    )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupToolFailed(
            f"{name} is not installed: install the PostgreSQL client tools of the server's "
            "major version (e.g. apt-get install postgresql-client-15)"
        )
    return found


def _run_tool(argv: list[str], database_url: str) -> None:
    """Run pg_dump or pg_restore; the password goes through the environment, never argv."""
    env = dict(os.environ)
    password = make_url(database_url).password
    if password is not None:
        env["PGPASSWORD"] = str(password)
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603  # a fixed tool, our own arguments, no shell
            argv,
            capture_output=True,
            text=True,
            timeout=_TOOL_TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupToolFailed(f"{Path(argv[0]).name} did not finish within an hour") from None
    if done.returncode != 0:
        # The tools' own first line says why (a version mismatch, a refused connection);
        # they print object names, never row contents.
        why = next((line for line in done.stderr.splitlines() if line.strip()), "no message")
        raise BackupToolFailed(f"{Path(argv[0]).name} failed (exit {done.returncode}): {why[:300]}")


def _libpq_uri(database_url: str) -> str:
    """The URL as libpq reads it: no SQLAlchemy driver name and no password."""
    url: URL = make_url(database_url).set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _shown(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)
