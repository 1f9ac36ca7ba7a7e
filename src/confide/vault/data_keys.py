"""Each client's data key: created, wrapped under the active key-encryption key, and erased.

Erasing a client's data key makes every ciphertext of that client unreadable (crypto-erasure),
without touching the records themselves; it is refused while a retention period still runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime

from confide.domain.validation import require_aware, require_id
from confide.vault.errors import DataKeyErased, ErasureRefused
from confide.vault.keyring import KeyRing
from confide.vault.sealing import KEY_BYTES


@dataclass(frozen=True, slots=True)
class WrappedDataKey:
    """A client's data key as stored: wrapped, with the id of the key that wrapped it."""

    client_id: str
    kek_id: str
    wrapped: bytes | None = field(repr=False)
    erased_at: datetime | None = None

    def __post_init__(self) -> None:
        require_id(self.client_id, "data_key.client_id")

    @property
    def is_erased(self) -> bool:
        """True once the key was destroyed."""
        return self.wrapped is None


def new_data_key(ring: KeyRing, client_id: str) -> tuple[bytes, WrappedDataKey]:
    """A fresh 256-bit data key for a client, and its wrapped form for storage."""
    key = secrets.token_bytes(KEY_BYTES)
    kek = ring.active
    return key, WrappedDataKey(client_id, kek.kek_id, kek.wrap(key, client_id))


def unwrap_data_key(ring: KeyRing, stored: WrappedDataKey) -> bytes:
    """The plain data key; refuses an erased one."""
    if stored.wrapped is None:
        raise DataKeyErased(
            f"the data key of client {stored.client_id} was erased"
            + (f" on {stored.erased_at.date()}" if stored.erased_at else "")
            + "; their records can no longer be read"
        )
    return ring.get(stored.kek_id).unwrap(stored.wrapped, stored.client_id)


def rewrap_data_key(ring: KeyRing, stored: WrappedDataKey) -> WrappedDataKey:
    """The same data key wrapped under the ring's active key; records stay as they are."""
    if stored.wrapped is None or stored.kek_id == ring.active_id:
        return stored
    key = unwrap_data_key(ring, stored)
    return replace(stored, kek_id=ring.active_id, wrapped=ring.active.wrap(key, stored.client_id))


def erase_data_key(
    stored: WrappedDataKey, *, retain_until: datetime | None, now: datetime
) -> WrappedDataKey:
    """Destroy a client's data key, unless records must still be kept until ``retain_until``.

    HIPAA 164.316(b)(2)(i) keeps documentation six years; state law often keeps clinical
    records longer (the practice sets ``retain_until`` per client).
    """
    require_aware(now, "now")
    if retain_until is not None and now < require_aware(retain_until, "retain_until"):
        raise ErasureRefused(
            f"the records of client {stored.client_id} must be kept until "
            f"{retain_until.date()}; erase after that date"
        )
    return replace(stored, wrapped=None, erased_at=now)
