"""Faults of what a request depends on, answered by failing closed (decision 0020).

The database gone (a backend terminated, the server down or unreachable), the disk refusing
writes, the key file or the audit signing key unavailable: the request's transaction rolls
back, so nothing partial is stored and nothing read is returned without its audit entry. The
shell answers with :class:`Unavailable` (what is missing and what to do), and
:func:`record_fault` puts a security event on the system chain, or, when the audit store is the
thing that is down, writes it to the server log as one structured line. Ids and codes only:
never client data, never an error's message (it may hold a path or a value).

The pool recovers by itself: PostgreSQL connections are checked before use (pre-ping), and a
connection that failed is discarded (``store.engine``), so the next request opens a fresh one.
"""

from __future__ import annotations

import errno
import logging

from sqlalchemy.exc import InterfaceError, OperationalError

from confide.audit.signing import SigningKeyUnavailable
from confide.domain.errors import ConfideError
from confide.services.audit import log_security_event
from confide.services.deps import Deps
from confide.vault import KeyUnavailable

security_log = logging.getLogger("confide.security")
# Who a fault's security event is recorded as: the server itself, not the asker (who may not
# even be known yet, when the database fails before the session is looked up).
SERVER_ACTOR = "confide-server"
_STORAGE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EACCES})
_STORAGE_WORDS = ("readonly database", "read-only", "disk i/o error", "database or disk is full")
# PostgreSQL's SQLSTATE classes for a server that cannot be used now: 08 connection exception,
# 53 insufficient resources, 57 operator intervention (a backend terminated, a shutdown),
# 58 system error.
_GONE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
_SQLITE_GONE_WORDS = ("unable to open database file", "database is locked", "disk i/o error")


class Unavailable(ConfideError):
    """Something the request needs is unavailable; nothing was shown, nothing saved in part."""

    def __init__(self, what: str, todo: str, rule: str) -> None:
        self.what = what
        self.rule = rule
        super().__init__(f"{what}; nothing was shown and nothing was saved in part. {todo}")


# What the shell catches as a fault: the classes :func:`unavailable_for` may recognise.
FAULT_TYPES: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    OSError,
    KeyUnavailable,
    SigningKeyUnavailable,
)


def unavailable_for(error: BaseException) -> Unavailable | None:
    """The fault ``error`` stands for, or None when it is not one (a bug stays a bug)."""
    if isinstance(error, KeyUnavailable):
        return Unavailable(
            "the key needed to open records is unavailable",
            "The operator must restore the key file (or CONFIDE_KEK); try again then.",
            "security.key_unavailable",
        )
    if isinstance(error, SigningKeyUnavailable):
        return Unavailable(
            "the audit log's signing key is unavailable",
            "The operator must restore the audit signing key file; try again then.",
            "security.audit_signing_key_missing",
        )
    if _is_storage_refusal(error):
        return Unavailable(
            "the data store refuses writes (its disk is read-only or full)",
            "The operator must make the data directory writable; try again then.",
            "security.storage_refused_write",
        )
    if isinstance(error, (OperationalError, InterfaceError)) and _is_database_gone(error):
        return Unavailable(
            "the database is unavailable",
            "Try again in a moment; if it persists, the operator must check the database.",
            "security.database_unavailable",
        )
    return None


def _is_database_gone(error: OperationalError | InterfaceError) -> bool:
    """The database cannot be reached or is going away, as opposed to a bug (a missing table,
    bad SQL), which must stay a 500 and never pass for a retryable fault."""
    if isinstance(error, InterfaceError) or error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if isinstance(sqlstate, str):  # PostgreSQL: connection lost, shut down, out of resources
        return sqlstate[:2] in _GONE_SQLSTATE_CLASSES
    message = str(error.orig).lower()
    # Without a state: psycopg failing to connect at all, or SQLite's words for a store it
    # cannot open or reach. Only compared, never logged or returned.
    return sqlstate is None and (
        not _is_sqlite(error) or any(words in message for words in _SQLITE_GONE_WORDS)
    )


def _is_sqlite(error: OperationalError | InterfaceError) -> bool:
    return type(error.orig).__module__.startswith("sqlite3")


def _is_storage_refusal(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno in _STORAGE_ERRNOS
    if isinstance(error, OperationalError):
        # SQLite's own words for a file it may not write; only these are compared, and the
        # message is never logged or returned.
        message = str(error.orig).lower()
        return any(words in message for words in _STORAGE_WORDS)
    return False


def record_fault(deps: Deps, fault: Unavailable, *, method: str, route: str) -> None:
    """Record ``fault`` as a security event: on the system chain when the audit store takes
    it, otherwise as a structured line in the server log. ``route`` is the route's template
    (``/api/v1/clients/{client_id}``), never the path with its ids."""
    try:
        log_security_event(deps.engine, deps.clock, rule=fault.rule, actor_id=SERVER_ACTOR)
    except Exception as error:  # the audit store is what failed: say so in the server log
        # No traceback: it could carry a statement and its values.
        security_log.error(
            "security_event rule=%s method=%s route=%s audit_log=unavailable error=%s",
            fault.rule,
            method,
            route,
            type(error).__name__,
        )
        return
    security_log.error(
        "security_event rule=%s method=%s route=%s audit_log=system_chain",
        fault.rule,
        method,
        route,
    )
