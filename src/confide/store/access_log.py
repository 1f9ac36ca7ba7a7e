"""The access log interface the use cases write through, and its implementation: the hash-chained
audit log (decision 0011). Every event is appended in the caller's transaction, so it commits or
rolls back with the action it records. Ids, codes and rules only, never content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, insert, select, text

from confide.audit.entries import SYSTEM_CHAIN, AuditEntry, genesis_hash
from confide.domain import Category, Purpose
from confide.store import schema as t
from confide.store.codes_column import join_codes


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """What happened: who, to which client, what, why, and what was decided."""

    at: datetime
    request_id: str
    actor_id: str
    client_id: str | None
    action: str
    purpose: Purpose | None
    categories: frozenset[Category]
    effect: str
    rule: str
    record_id: str | None = None
    permitted: frozenset[Category] = frozenset()
    record_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # "category=rule" for each category decided


class AccessLog(Protocol):
    """Appends access events on the caller's connection, inside the caller's transaction."""

    def append(self, connection: Connection, event: AccessEvent) -> None:
        """Append one event."""
        ...


class ChainedAuditLog:
    """Appends each event to its client's hash chain (or the system chain).

    Appends to one chain are serialised (a transaction-scoped advisory lock on PostgreSQL; SQLite
    transactions hold the write lock from their start), so a chain never forks; appends to
    different clients' chains never wait on each other on PostgreSQL.
    """

    def append(self, connection: Connection, event: AccessEvent) -> None:
        role, client_on_file = connection.execute(
            select(
                select(t.actors.c.role).where(t.actors.c.id == event.actor_id).scalar_subquery(),
                select(t.clients.c.id).where(t.clients.c.id == event.client_id).scalar_subquery(),
            )
        ).one()
        # Events about a client not on file go to the system chain: asking about made-up ids
        # must not grow the log by a chain each.
        chain_id = client_on_file if client_on_file is not None else SYSTEM_CHAIN
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(chain_id)}
            )
        last = connection.execute(
            select(t.audit_entries.c.seq, t.audit_entries.c.entry_hash)
            .where(t.audit_entries.c.chain_id == chain_id)
            .order_by(t.audit_entries.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (1, genesis_hash(chain_id)) if last is None else (last.seq + 1, last.entry_hash)
        entry = AuditEntry(
            chain_id=chain_id,
            seq=seq,
            at=event.at,
            request_id=event.request_id,
            actor_id=event.actor_id,
            actor_role=role or "unknown",
            client_id=event.client_id,
            action=event.action,
            purpose=None if event.purpose is None else event.purpose.value,
            categories=join_codes(event.categories),
            permitted=join_codes(event.permitted),
            effect=event.effect,
            rule=event.rule,
            reasons=";".join(event.reasons),
            record_id=event.record_id,
            record_ids=",".join(event.record_ids),
            prev_hash=prev,
        )
        connection.execute(
            insert(t.audit_entries).values(
                chain_id=entry.chain_id,
                seq=entry.seq,
                at=entry.at,
                request_id=entry.request_id,
                actor_id=entry.actor_id,
                actor_role=entry.actor_role,
                client_id=entry.client_id,
                action=entry.action,
                purpose=entry.purpose,
                categories=entry.categories,
                permitted=entry.permitted,
                effect=entry.effect,
                rule=entry.rule,
                reasons=entry.reasons,
                record_id=entry.record_id,
                record_ids=entry.record_ids,
                prev_hash=entry.prev_hash,
                entry_hash=entry.computed_hash(),
            )
        )


def _lock_key(chain_id: str) -> int:
    """A signed 64-bit advisory-lock key for a chain."""
    return int.from_bytes(
        hashlib.sha256(b"confide-chain:" + chain_id.encode()).digest()[:8], "big", signed=True
    )
