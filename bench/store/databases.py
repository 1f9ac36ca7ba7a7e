"""Throwaway databases: a temporary SQLite file, or a PostgreSQL database dropped afterwards."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from confide.store.engine import make_engine
from confide.store.migrate import upgrade

ADMIN_URL_VARIABLE = "CONFIDE_BENCH_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """The PostgreSQL server to create the benchmark's database on."""
    return os.environ.get(ADMIN_URL_VARIABLE) or DEFAULT_ADMIN_URL


def in_ci() -> bool:
    """True under CI (``CI=true``), where a missing PostgreSQL fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used (a sentence saying how to fix it), or None if it can."""
    url = admin_url()
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as c:
            c.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        cause = type(getattr(error, "orig", None) or error).__name__
        return (
            f"PostgreSQL is not reachable at {shown} ({cause}); "
            f"start it, or set {ADMIN_URL_VARIABLE} to a server where this user may create "
            "databases"
        )
    finally:
        admin.dispose()
    return None


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    """A migrated SQLite database in a temporary file, in WAL mode, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="confide-bench-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'confide.db'}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_database() -> Iterator[Engine]:
    """A migrated database ``confide_bench_<hex>``, dropped WITH (FORCE) however the run ends."""
    admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    name = f"confide_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(
            make_url(admin_url()).set(database=name).render_as_string(hide_password=False)
        )
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def temporary_directory() -> Iterator[Path]:
    """A private directory for the key file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="confide-bench-keys-") as directory:
        yield Path(directory)


def tidy(engine: Engine, table: str | None = None) -> None:
    """Refresh the planner's statistics (of one table, or all), reclaiming PostgreSQL's dead rows.

    SQLite updates rows in place, so a rotation leaves nothing there to reclaim.
    """
    target = f' "{table}"' if table else ""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f"VACUUM ANALYZE{target}"))
    else:
        with engine.begin() as c:
            c.execute(text(f"ANALYZE{target}"))
