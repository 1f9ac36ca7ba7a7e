"""Each client's wrapped data key; rotation swaps a key only if it is unchanged (resumable)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from confide.store import schema as t
from confide.vault import WrappedDataKey


class KeysRepository:
    """Wrapped data keys on one connection (the caller owns the transaction)."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, key: WrappedDataKey, retain_until: datetime | None = None) -> None:
        self.c.execute(
            insert(t.client_keys).values(
                client_id=key.client_id,
                kek_id=key.kek_id,
                wrapped=key.wrapped,
                erased_at=key.erased_at,
                retain_until=retain_until,
            )
        )

    def get(self, client_id: str) -> WrappedDataKey | None:
        row = self.c.execute(
            select(t.client_keys).where(t.client_keys.c.client_id == client_id)
        ).first()
        if row is None:
            return None
        return WrappedDataKey(row.client_id, row.kek_id, row.wrapped, row.erased_at)

    def not_wrapped_by(self, kek_id: str, limit: int) -> list[WrappedDataKey]:
        """Up to ``limit`` live keys still wrapped by another key-encryption key."""
        rows = self.c.execute(
            select(t.client_keys)
            .where(t.client_keys.c.kek_id != kek_id, t.client_keys.c.wrapped.is_not(None))
            .order_by(t.client_keys.c.client_id)
            .limit(limit)
        )
        return [WrappedDataKey(r.client_id, r.kek_id, r.wrapped, r.erased_at) for r in rows]

    def count_not_wrapped_by(self, kek_id: str) -> int:
        return int(
            self.c.execute(
                select(func.count())
                .select_from(t.client_keys)
                .where(t.client_keys.c.kek_id != kek_id, t.client_keys.c.wrapped.is_not(None))
            ).scalar_one()
        )

    def replace(self, old: WrappedDataKey, new: WrappedDataKey) -> bool:
        """Swap ``old`` for ``new`` only if the stored key is still ``old``."""
        result = self.c.execute(
            update(t.client_keys)
            .where(
                t.client_keys.c.client_id == old.client_id,
                t.client_keys.c.kek_id == old.kek_id,
                # The exact stored key, not erased meanwhile: a rotation in flight must never
                # write back a key that an erasure destroyed.
                t.client_keys.c.wrapped == old.wrapped,
                t.client_keys.c.erased_at.is_(None),
            )
            .values(kek_id=new.kek_id, wrapped=new.wrapped, erased_at=new.erased_at)
        )
        return result.rowcount == 1

    def retain_until(self, client_id: str) -> datetime | None:
        """The date before which this client's key may not be erased, if any."""
        found = select(t.client_keys.c.retain_until).where(t.client_keys.c.client_id == client_id)
        value: datetime | None = self.c.execute(found).scalar_one_or_none()
        return value

    def erase(self, client_id: str, at: datetime) -> bool:
        """Destroy the wrapped key; False if it was already erased. Rotation never restores it."""
        result = self.c.execute(
            update(t.client_keys)
            .where(t.client_keys.c.client_id == client_id, t.client_keys.c.erased_at.is_(None))
            .values(wrapped=None, erased_at=at)
        )
        return result.rowcount == 1
