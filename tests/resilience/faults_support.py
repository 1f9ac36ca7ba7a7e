"""Faults on demand, for tests/resilience/test_faults.py.

- :class:`TcpProxy` stands between the application and PostgreSQL. ``cut()`` closes every open
  connection and stops listening (new ones are refused), ``restore()`` listens again on the same
  port: from the application's side, the database server stopped and started. The shared server
  itself is never stopped.
- :func:`terminate_backends` ends the application's backends with ``pg_terminate_backend`` from
  a second, administrative connection.
- :func:`on_statement` runs a fault at an exact point of a request: just before the statement
  that matches (a real SQLAlchemy event on the application's own engine, not a mock).
- :func:`read_only_mount` remounts a directory read-only (a bind mount over itself).
- :func:`row_counts` and :func:`chain_lengths` tell what was stored, to compare before and after.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select, text

from confide.audit.entries import SYSTEM_CHAIN
from confide.store import schema as t


class TcpProxy:
    """A TCP relay from 127.0.0.1:<port> to ``target``, which can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.restore()

    def restore(self) -> None:
        """Listen (again) on the proxy's port: the server is back."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and close every relayed connection at once: the server is gone."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            doomed, self._open = self._open, set()
        for s in doomed:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        """Cut for good."""
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    downstream.close()
                    upstream.close()
                    return
                self._open |= {downstream, upstream}
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def terminate_backends(admin: Engine, database: str) -> int:
    """End every backend connected to ``database`` (from another connection); how many."""
    with admin.connect() as c:
        ended = c.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar_one()
    return int(ended)


@contextlib.contextmanager
def on_statement(
    engine: Engine, starts_with: str, fault: Callable[[], None]
) -> Iterator[list[str]]:
    """Run ``fault`` once, just before the first statement on ``engine`` that starts with
    ``starts_with`` (e.g. ``INSERT INTO records``). Yields the statements seen when it fired."""
    fired: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not fired and statement.lstrip().upper().startswith(starts_with.upper()):
            fired.append(statement)
            fault()

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextlib.contextmanager
def on_commit_after(
    engine: Engine, starts_with: str, fault: Callable[[], None]
) -> Iterator[list[str]]:
    """Run ``fault`` once, as the transaction that ran a statement starting with
    ``starts_with`` is about to commit: that statement succeeded, its commit will not."""
    seen: list[str] = []
    fired: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(starts_with.upper()):
            seen.append(statement)

    def commit(_conn: Any) -> None:
        if seen and not fired:
            fired.append(seen[0])
            fault()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", commit)


@contextlib.contextmanager
def read_only_mount(directory: Path) -> Iterator[None]:
    """``directory`` read-only for every file opened through it from now on (a read-only bind
    mount over itself), until the block ends. Root ignores permission bits, not this."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        raise RuntimeError("mount(8) and umount(8) are needed")
    subprocess.run([mount, "--bind", str(directory), str(directory)], check=True)
    try:
        subprocess.run([mount, "-o", "remount,ro,bind", str(directory)], check=True)
        yield
    finally:
        # Lazily: a file still open through the read-only mount (an idle pooled connection)
        # keeps it, and every file opened from now on is the writable directory's. The service
        # must notice on its own: the pool recycles connections older than its last failure.
        subprocess.run([umount, "-l", str(directory)], check=True)


def can_mount() -> bool:
    """Whether this machine lets the tests make a read-only bind mount."""
    probe = Path("/proc/self/status").read_text()
    cap_line = next((x for x in probe.splitlines() if x.startswith("CapEff:")), "CapEff: 0")
    cap_sys_admin = 1 << 21
    return bool(int(cap_line.split()[1], 16) & cap_sys_admin)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table, the audit log apart (see :func:`chain_lengths`)."""
    out: dict[str, int] = {}
    with engine.connect() as c:
        for table in t.metadata.sorted_tables:
            if table.name == t.audit_entries.name:
                continue
            out[table.name] = c.execute(select(func.count()).select_from(table)).scalar_one()
    return out


def chain_lengths(engine: Engine) -> dict[str, int]:
    """Entries per audit chain (each client's, and the system chain)."""
    with engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries.c.chain_id, func.count()).group_by(t.audit_entries.c.chain_id)
        )
        return {r[0]: int(r[1]) for r in rows}


def entries_after(engine: Engine, chain_id: str, seq: int) -> list[dict[str, Any]]:
    """A chain's entries after ``seq``, oldest first."""
    with engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries)
            .where(t.audit_entries.c.chain_id == chain_id, t.audit_entries.c.seq > seq)
            .order_by(t.audit_entries.c.seq)
        )
        return [dict(r._mapping) for r in rows]


def system_events_after(engine: Engine, counts: dict[str, int]) -> list[tuple[str, str, str]]:
    """(actor, effect, rule) of the system chain's entries since ``counts`` was taken."""
    entries = entries_after(engine, SYSTEM_CHAIN, counts.get(SYSTEM_CHAIN, 0))
    return [(e["actor_id"], e["effect"], e["rule"]) for e in entries]


class LogLines(logging.Handler):
    """Every formatted line logged under ``confide`` while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @contextlib.contextmanager
    def installed(self) -> Iterator[LogLines]:
        """Collect the lines of the ``confide`` loggers for the block's duration."""
        root = logging.getLogger("confide")
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)
