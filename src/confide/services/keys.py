"""Key rotation: re-wrap every client's data key under a new key-encryption key.

Records are not re-encrypted: only the small wrapped keys change, so rotation time grows with
the number of clients, not of notes. The new key is saved to the key file (beside the old one)
before any data key is re-wrapped, and each re-wrap is its own compare-and-swap, so an
interrupted rotation resumes where it stopped: running it again finishes the job before it
would ever start another.

One rotation at a time: a rotation holds an exclusive lock on ``<key file>.lock`` (two
processes on one machine) and, on PostgreSQL, a session advisory lock (processes on several
machines sharing the database). A second rotation is refused with a Conflict, never run
alongside: two rotations would each add a key and could leave data keys wrapped by a key the
other one's key file lacks.
"""

from __future__ import annotations

import fcntl
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from confide.services.audit import log_system_event
from confide.services.deps import Clock, SystemClock
from confide.services.errors import Conflict
from confide.store.accounts_repository import AccountsRepository
from confide.store.keys_repository import KeysRepository
from confide.vault import (
    KeyRing,
    LocalKek,
    load_key_file,
    new_kek_id,
    rewrap_data_key,
    save_key_file,
)

Progress = Callable[[int, int], None]
OPERATOR = "operator"  # who acts from the command line: whoever holds the data directory


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What a rotation did."""

    active_kek_id: str
    resumed: bool
    rewrapped: int


def rotate_keys(
    engine: Engine,
    key_file: Path,
    *,
    batch: int = 500,
    progress: Progress | None = None,
    clock: Clock | None = None,
    operator: str = OPERATOR,
) -> RotationReport:
    """Start a rotation (or finish an interrupted one) and re-wrap every live data key.

    The start and the end are each an entry on the audit log's system chain, so an
    interrupted rotation shows as a start without an end.
    """
    clock = clock or SystemClock()
    with _only_rotation(engine, key_file):
        log_system_event(
            engine,
            clock,
            action="rotate_keys",
            effect="permit",
            rule="keys.rotation_started",
            actor_id=operator,
        )
        report = _rotate(engine, key_file, batch, progress)
        log_system_event(
            engine,
            clock,
            action="rotate_keys",
            effect="permit",
            rule="keys.rotated",
            actor_id=operator,
        )
        return report


def _rotate(
    engine: Engine, key_file: Path, batch: int, progress: Progress | None
) -> RotationReport:
    ring = load_key_file(key_file)
    with engine.connect() as c:
        pending = KeysRepository(c).count_not_wrapped_by(ring.active_id)
    resumed = pending > 0
    if not resumed:
        new = LocalKek(new_kek_id(), secrets.token_bytes(32))
        ring = KeyRing({**ring.keys, new.kek_id: new}, new.kek_id)
        save_key_file(key_file, ring)  # the new key is safe on disk before anything uses it
        with engine.connect() as c:
            pending = KeysRepository(c).count_not_wrapped_by(ring.active_id)
    done = 0
    while True:
        with engine.begin() as c:
            keys = KeysRepository(c)
            chunk = keys.not_wrapped_by(ring.active_id, batch)
            for stored in chunk:
                keys.replace(stored, rewrap_data_key(ring, stored))
        if not chunk:
            break
        done += len(chunk)
        if progress is not None:
            progress(done, pending)
    _rotate_account_keys(engine, ring, batch)
    return RotationReport(ring.active_id, resumed, done)


def _rotate_account_keys(engine: Engine, ring: KeyRing, batch: int) -> None:
    """The keys that seal people's TOTP secrets are re-wrapped like clients' data keys."""
    while True:
        with engine.begin() as c:
            accounts = AccountsRepository(c)
            chunk = accounts.keys_not_wrapped_by(ring.active_id, batch)
            for stored, actor_id in chunk:
                accounts.replace_key(actor_id, stored, rewrap_data_key(ring, stored))
        if not chunk:
            return


# An arbitrary constant naming confide's rotation among the database's advisory locks.
ROTATION_LOCK_ID = 0x636F6E66_6964_6B


@contextmanager
def _only_rotation(engine: Engine, key_file: Path) -> Iterator[None]:
    busy = Conflict(
        "another key rotation is running; wait for it to finish, then run this again if needed"
    )
    lock_path = key_file.with_name(key_file.name + ".lock")
    with lock_path.open("a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as c:
            held = c.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": ROTATION_LOCK_ID})
            if not held.scalar_one():
                raise busy
            try:
                yield
            finally:
                c.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ROTATION_LOCK_ID})
