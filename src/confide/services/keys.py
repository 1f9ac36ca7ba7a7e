"""Key rotation: re-wrap every client's data key under a new key-encryption key.

Records are not re-encrypted: only the small wrapped keys change, so rotation time grows with
the number of clients, not of notes. The new key is saved to the key file (beside the old one)
before any data key is re-wrapped, and each re-wrap is its own compare-and-swap, so an
interrupted rotation resumes where it stopped: running it again finishes the job before it
would ever start another.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

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


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What a rotation did."""

    active_kek_id: str
    resumed: bool
    rewrapped: int


def rotate_keys(
    engine: Engine, key_file: Path, *, batch: int = 500, progress: Progress | None = None
) -> RotationReport:
    """Start a rotation (or finish an interrupted one) and re-wrap every live data key."""
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
    return RotationReport(ring.active_id, resumed, done)
