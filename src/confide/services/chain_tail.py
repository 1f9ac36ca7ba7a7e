"""Whether a client's chain is intact, verifying only what was added since it was last verified
(decision 0022).

``audit_verified_heads`` remembers, per chain, the seq and stored hash of the last entry the
access history verified. A request re-reads that entry (it must still be there with the same
hash, and its fields must still match it) and walks only the entries after it, each linking to
the one before, from the remembered hash. Entries before it were verified by an earlier request
and are not re-read here: rewriting them is caught by the full walk of ``confide audit verify``
and ``GET /api/v1/audit/status`` against the signed checkpoints (decision 0011).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, select
from sqlalchemy.dialects import postgresql, sqlite

from confide.audit.entries import AuditEntry, verify_chain
from confide.store import schema as t


def stored_entry(row: Row[tuple[object, ...]]) -> AuditEntry:
    """An ``audit_entries`` row as the core's entry."""
    m = dict(row._mapping)
    m["prev_hash"] = bytes(m["prev_hash"])
    m["entry_hash"] = bytes(m["entry_hash"])
    return AuditEntry(**m)


def chain_intact(c: Connection, client_id: str, at: datetime) -> bool:
    """True if the chain verifies from the last verified entry (or its genesis) to its end;
    moves the remembered point forward to the end when it does. A break stays reported on
    every request, since the point never moves past it."""
    v = t.audit_verified_heads
    mark = c.execute(select(v.c.seq, v.c.entry_hash).where(v.c.chain_id == client_id)).first()
    start = 0 if mark is None else int(mark.seq)
    e = t.audit_entries.c
    rows = c.execute(
        select(t.audit_entries).where(e.chain_id == client_id, e.seq >= start).order_by(e.seq)
    )
    entries = [stored_entry(r) for r in rows]
    after: tuple[int, bytes] | None = None
    if mark is not None:
        remembered = bytes(mark.entry_hash)
        first = entries[0] if entries else None
        if (
            first is None
            or first.seq != start
            or first.entry_hash != remembered
            or first.computed_hash() != remembered
        ):
            return False  # the entry the tail links to was changed or removed
        entries = entries[1:]
        after = (start, remembered)
    walk = verify_chain(client_id, (x.link() for x in entries), after=after)
    if walk.broken is not None:
        return False
    if entries:
        _remember(c, client_id, entries[-1], at)
    return True


def _remember(c: Connection, client_id: str, last: AuditEntry, at: datetime) -> None:
    """Upsert the point, only ever forward (two requests may verify the same tail at once)."""
    v = t.audit_verified_heads
    values = {"chain_id": client_id, "seq": last.seq, "entry_hash": last.entry_hash}
    if c.dialect.name == "postgresql":
        pg = postgresql.insert(v).values(**values, verified_at=at)
        c.execute(
            pg.on_conflict_do_update(
                index_elements=[v.c.chain_id],
                set_={**values, "verified_at": at},
                where=v.c.seq < pg.excluded.seq,
            )
        )
        return
    lite = sqlite.insert(v).values(**values, verified_at=at)
    c.execute(
        lite.on_conflict_do_update(
            index_elements=[v.c.chain_id],
            set_={**values, "verified_at": at},
            where=v.c.seq < lite.excluded.seq,
        )
    )
