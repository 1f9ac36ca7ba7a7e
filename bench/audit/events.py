"""Synthetic audit events, the practice they are about, and chains built the way the log builds
them.

Events are ids and codes only, drawn from a seeded generator: a few dozen event shapes (action,
purpose, categories asked for and permitted, rule, reasons) like the ones the use cases log,
each with its own time, request id, client and record ids. ``to_entry`` maps an event to its
audit entry exactly as ``ChainedAuditLog.append`` does, so chains built here in memory are the
chains the log would have built one append at a time (the smoke test checks they hash alike).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Engine, Index, Integer, MetaData, Table, insert

from confide.audit.entries import SYSTEM_CHAIN, AuditEntry, genesis_hash
from confide.domain import Actor, Category, Client, Organisation, Purpose, Role
from confide.store import schema as t
from confide.store.access_log import AccessEvent
from confide.store.codes_column import join_codes
from confide.store.practice_repository import PracticeRepository

ORGANISATION = "bench-audit-practice"
ACTORS: dict[str, Role] = {
    "bench-clinician": Role.CLINICIAN,
    "bench-supervisor": Role.SUPERVISOR,
    "bench-staff": Role.STAFF,
}
CLIENTS_PER_TRANSACTION = 1_000
ROWS_PER_TRANSACTION = 10_000  # bulk inserts of pre-built entries
BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SHAPES = 48
HASH_COLUMNS = ("prev_hash", "entry_hash")
ENTRY_COLUMNS = tuple(c.name for c in t.audit_entries.columns)
PLAIN_COLUMNS = tuple(name for name in ENTRY_COLUMNS if name not in HASH_COLUMNS)

# The baseline: the audit entry's columns without the chain (no hashes, no key on chain and
# sequence number), an autoincrement id instead, and the same secondary indexes.
plain_metadata = MetaData()
plain_entries = Table(
    "bench_plain_entries",
    plain_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *(
        Column(c.name, c.type, nullable=c.nullable)
        for c in t.audit_entries.columns
        if c.name not in HASH_COLUMNS
    ),
    Index("ix_bench_plain_entries_at", "at"),
    Index("ix_bench_plain_entries_actor_id", "actor_id"),
)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What an event says apart from who, whom, when and which records."""

    actor_id: str
    action: str
    purpose: Purpose | None
    categories: frozenset[Category]
    permitted: frozenset[Category]
    effect: str
    rule: str
    reasons: tuple[str, ...]
    records: int  # record ids a read returns; a write names one record instead


def client_ids(prefix: str, count: int) -> list[str]:
    """``count`` client ids: ``prefix-000000``, ``prefix-000001``, …"""
    return [f"{prefix}-{n:06d}" for n in range(count)]


def add_practice(engine: Engine) -> None:
    """The organisation and its actors (a clinician, a supervisor, a front-desk person)."""
    with engine.begin() as c:
        repo = PracticeRepository(c)
        repo.add_organisation(Organisation(ORGANISATION, "Audit benchmark practice"))
        for actor_id, role in ACTORS.items():
            repo.add_actor(Actor(actor_id, role, ORGANISATION))


def add_clients(engine: Engine, ids: Sequence[str]) -> None:
    """Clients of the practice, a thousand per transaction, so their events get their chains."""
    for start in range(0, len(ids), CLIENTS_PER_TRANSACTION):
        with engine.begin() as c:
            repo = PracticeRepository(c)
            for client_id in ids[start : start + CLIENTS_PER_TRANSACTION]:
                repo.add_client(Client(client_id, ORGANISATION), BASE_TIME)


class EventSource:
    """Seeded synthetic events, in rising time order across every call."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._shapes = [self._shape() for _ in range(SHAPES)]
        self._tick = 0

    def events(self, clients: Sequence[str], count: int) -> list[AccessEvent]:
        """``count`` events, each about a client drawn from ``clients``."""
        return list(self.stream(clients, count))

    def stream(self, clients: Sequence[str], count: int) -> Iterator[AccessEvent]:
        """The same, one at a time (for logs too large to hold as events)."""
        rng = self._rng
        for _ in range(count):
            self._tick += 1
            shape = self._shapes[rng.randrange(SHAPES)]
            token = f"{rng.getrandbits(96):024x}"
            reads = shape.action == "read"
            yield AccessEvent(
                at=BASE_TIME + timedelta(milliseconds=250 * self._tick),
                request_id=f"req-{token}",
                actor_id=shape.actor_id,
                client_id=clients[rng.randrange(len(clients))],
                action=shape.action,
                purpose=shape.purpose,
                categories=shape.categories,
                effect=shape.effect,
                rule=shape.rule,
                record_id=None if reads else f"rec-{token}",
                permitted=shape.permitted,
                record_ids=tuple(f"rec-{token[:16]}{n:08x}" for n in range(shape.records)),
                reasons=shape.reasons,
            )

    def _shape(self) -> _Shape:
        rng = self._rng
        actor_id = rng.choice(sorted(ACTORS))
        action = "read" if rng.random() < 0.8 else "write"
        purpose = rng.choice((Purpose.TREAT, Purpose.TREAT, Purpose.HOPERAT, Purpose.HPAYMT))
        asked = frozenset(rng.sample(list(Category), rng.randint(1, 3)))
        permitted = frozenset(c for c in asked if rng.random() < 0.85)
        permit_rule = "permit.treating_clinician"
        if ACTORS[actor_id] is Role.STAFF:
            permit_rule = "permit.staff_operations"
        reasons = tuple(
            f"{c.value}={permit_rule if c in permitted else 'deny.default'}" for c in sorted(asked)
        )
        return _Shape(
            actor_id=actor_id,
            action=action,
            purpose=purpose,
            categories=asked,
            permitted=permitted,
            effect="permit" if permitted else "deny",
            rule=permit_rule if permitted else "deny.default",
            reasons=reasons,
            records=rng.randint(0, 5) if action == "read" and permitted else 0,
        )


def to_entry(
    event: AccessEvent, role: str, chain_id: str, seq: int, prev_hash: bytes
) -> AuditEntry:
    """The entry ``ChainedAuditLog.append`` writes for ``event`` (without its hash)."""
    return AuditEntry(
        chain_id=chain_id,
        seq=seq,
        at=event.at,
        request_id=event.request_id,
        actor_id=event.actor_id,
        actor_role=role,
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
        prev_hash=prev_hash,
    )


class ChainBuilder:
    """Chains built in memory, as the log builds them: each event's client on file is its
    chain (the benchmark only names clients it has added); each chain's head is kept here."""

    def __init__(self) -> None:
        self._heads: dict[str, tuple[int, bytes]] = {}

    @property
    def chains(self) -> int:
        """Chains with at least one entry so far."""
        return len(self._heads)

    def row(self, event: AccessEvent) -> dict[str, Any]:
        """The next entry of the event's chain, as a row of ``audit_entries``."""
        chain_id = event.client_id or SYSTEM_CHAIN
        seq, prev = self._heads.get(chain_id) or (0, genesis_hash(chain_id))
        entry = to_entry(event, ACTORS[event.actor_id].value, chain_id, seq + 1, prev)
        digest = entry.computed_hash()
        self._heads[chain_id] = (seq + 1, digest)
        row = {name: getattr(entry, name) for name in PLAIN_COLUMNS}
        row["prev_hash"] = prev
        row["entry_hash"] = digest
        return row

    def plain_row(self, event: AccessEvent) -> dict[str, Any]:
        """The same entry's fields without the chain's hashes (the baseline's row)."""
        chain_id = event.client_id or SYSTEM_CHAIN
        seq, _ = self._heads.get(chain_id) or (0, b"")
        entry = to_entry(event, ACTORS[event.actor_id].value, chain_id, seq + 1, b"")
        self._heads[chain_id] = (seq + 1, b"")
        return {name: getattr(entry, name) for name in PLAIN_COLUMNS}


def insert_log(engine: Engine, rows: Iterator[dict[str, Any]]) -> int:
    """Bulk-insert pre-built entries, ``ROWS_PER_TRANSACTION`` per transaction; how many."""
    inserted = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == ROWS_PER_TRANSACTION:
            inserted += _insert(engine, batch)
            batch = []
    if batch:
        inserted += _insert(engine, batch)
    return inserted


def _insert(engine: Engine, rows: list[dict[str, Any]]) -> int:
    with engine.begin() as c:
        c.execute(insert(t.audit_entries), rows)
    return len(rows)
