"""Appends to the hash-chained log against plain inserts of the same rows.

The chained side is ``ChainedAuditLog().append`` on the caller's connection, as every use case
appends: it looks up the actor's role and whether the client is on file, takes the chain's
advisory lock (PostgreSQL), reads the chain's head, hashes the entry and inserts it. The
baseline inserts the very same field values, computed beforehand, into a table with the same
columns and secondary indexes but no chain: no hashes, no key on chain and sequence number, an
autoincrement id. Transactions alternate between the two sides (which goes first swaps every
transaction), one event per transaction as the use cases do, then ``batch`` per transaction.
Afterwards both tables must hold the same rows, and every chain must verify.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select

from bench.audit.config import Config
from bench.audit.events import (
    PLAIN_COLUMNS,
    ChainBuilder,
    EventSource,
    add_clients,
    add_practice,
    client_ids,
    plain_entries,
    plain_metadata,
)
from bench.audit.timing import alternate
from bench.store.notes import Latencies
from confide.services.audit import verify_log
from confide.store import schema as t
from confide.store.access_log import AccessEvent, ChainedAuditLog

SINGLE = "single"
BATCH = "batch"


@dataclass(frozen=True, slots=True)
class AppendMode:
    """One way of grouping appends into transactions, chained and plain side by side."""

    mode: str
    per_transaction: int
    chained: Latencies  # each transaction's time
    plain: Latencies

    @property
    def events(self) -> int:
        """Events appended per side."""
        return len(self.chained.latencies_ns) * self.per_transaction

    @property
    def chained_per_s(self) -> float:
        """Chained appends per second: events over the time spent in their transactions."""
        return self.chained.per_second * self.per_transaction

    @property
    def plain_per_s(self) -> float:
        """Plain inserts per second."""
        return self.plain.per_second * self.per_transaction

    @property
    def time_ratio(self) -> float:
        """Total time chained over total time plain (how many times the chain's cost)."""
        return sum(self.chained.latencies_ns) / sum(self.plain.latencies_ns)


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Both modes on one database, and what the check afterwards found."""

    clients: int
    modes: tuple[AppendMode, ...]
    rows_compared: int
    chains_verified: int

    def mode(self, name: str) -> AppendMode:
        """The mode by name."""
        return next(m for m in self.modes if m.mode == name)


def measure_appends(engine: Engine, config: Config, log: Callable[[str], None]) -> AppendResult:
    """Append warm-up, single and batched events on both sides; check; return the timings."""
    clients = client_ids("client", config.append_clients)
    add_practice(engine)
    add_clients(engine, clients)
    plain_metadata.create_all(engine)
    source = EventSource(config.seed)
    warm = source.events(clients, config.warmup)
    single = source.events(clients, config.events)
    batched = source.events(clients, config.events)
    builder = ChainBuilder()  # the plain rows: the chained side's fields, in the same order
    plain_warm = [builder.plain_row(e) for e in warm]
    plain_single = [builder.plain_row(e) for e in single]
    plain_batched = [builder.plain_row(e) for e in batched]

    log(f"appends: {config.warmup} warm-up transactions per side")
    alternate(_chained(engine, warm, 1), _plain(engine, plain_warm, 1), config.warmup)
    modes = []
    for mode, events, rows, size in (
        (SINGLE, single, plain_single, 1),
        (BATCH, batched, plain_batched, config.batch),
    ):
        transactions = len(events) // size
        log(
            f"appends: {len(events):,} events per side, {size} per transaction "
            f"({transactions:,} transactions each)"
        )
        chained, plain = alternate(
            _chained(engine, events, size), _plain(engine, rows, size), transactions
        )
        modes.append(AppendMode(mode, size, chained, plain))
    compared = _check_same_rows(engine)
    report = verify_log(engine, None)
    assert not report.breaks, f"a chain broke: {report.breaks[0].describe()}"
    assert report.entries == compared, "verification did not walk every appended entry"
    log(f"appends: {compared:,} rows alike on both sides; {report.chains} chains intact")
    return AppendResult(len(clients), tuple(modes), compared, report.chains)


def _chained(engine: Engine, events: Sequence[AccessEvent], size: int) -> Callable[[int], None]:
    audit_log = ChainedAuditLog()

    def append(i: int) -> None:
        with engine.begin() as c:
            for event in events[i * size : (i + 1) * size]:
                audit_log.append(c, event)

    return append


def _plain(engine: Engine, rows: Sequence[dict[str, Any]], size: int) -> Callable[[int], None]:
    def insert_rows(i: int) -> None:
        with engine.begin() as c:
            for row in rows[i * size : (i + 1) * size]:
                c.execute(insert(plain_entries).values(**row))  # one statement each, like append

    return insert_rows


def _check_same_rows(engine: Engine) -> int:
    """Both tables hold the same rows, field by field (the hashes aside); how many."""
    with engine.connect() as c:
        chained = c.execute(
            select(*(t.audit_entries.c[n] for n in PLAIN_COLUMNS)).order_by(
                t.audit_entries.c.chain_id, t.audit_entries.c.seq
            )
        ).all()
        plain = c.execute(
            select(*(plain_entries.c[n] for n in PLAIN_COLUMNS)).order_by(
                plain_entries.c.chain_id, plain_entries.c.seq
            )
        ).all()
    assert [tuple(r) for r in chained] == [tuple(r) for r in plain], (
        "the baseline must insert exactly the rows the chained log appends"
    )
    return len(chained)
