"""Creating the database engine: SQLite in WAL mode with foreign keys on, or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext

# SQLite's words for a database file it may not write (the disk read-only, full or failing).
_SQLITE_REFUSED_WRITE = ("readonly database", "disk i/o error", "database or disk is full")


def make_engine(url: str, *, role: str | None = None, **options: Any) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, foreign keys and a busy timeout.

    On PostgreSQL, ``role`` (e.g. ``confide_app``) is taken by every connection with
    ``SET ROLE``, so the application runs without the right to change audit entries even when
    it logs in as a more powerful user.
    """
    # No SQL parameter may reach a log line or an exception's message: they are client ids,
    # sealed blobs' neighbours, or a name typed at sign-in that may be a password.
    options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        event.listen(engine, "handle_error", _sqlite_discard_refused_connection)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **options)
    if role is not None:
        if not role.replace("_", "").isalnum():
            raise ValueError("a database role is letters, digits and underscores")

        def _set_role(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                # nosemgrep: confide.raw-sql-from-strings - SET ROLE binds nothing; role checked
                cursor.execute(f'SET ROLE "{role}"')
            dbapi_connection.commit()

        event.listen(engine, "connect", _set_role)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # confide begins its own transactions (below), not the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; synchronous=FULL: an acknowledged commit survives a
    # crash or power loss (the default NORMAL in WAL may lose the last transactions).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Every use case writes (at least its audit entry), so each transaction takes SQLite's write
    # lock when it begins: it reads the state it will write over, never a snapshot another
    # writer has since moved past (which SQLite could only refuse, not wait for).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_discard_refused_connection(context: ExceptionContext) -> None:
    # A connection SQLite opened while its file could not be written stays read-only after the
    # disk is writable again. Treat the refusal like a lost connection: SQLAlchemy discards
    # the pool's connections, and the next request opens fresh ones (decision 0020).
    message = str(context.original_exception).lower()
    if any(words in message for words in _SQLITE_REFUSED_WRITE):
        context.is_disconnect = True
