"""Verification: against the raw SHA-256 limit, where its time goes, and on a large log.

A log of M entries over C chains is built in memory (each chain exactly as the log would build
it) and bulk-inserted in time order, entries of all chains interleaved as appends would leave
them; a signed checkpoint then commits to every head. ``verify_log`` with the public key is
timed against a bare loop of ``hashlib.sha256(b).digest()`` over the very bytes each entry
hashes (``AuditEntry.encode()`` of every stored entry, gathered beforehand), in alternating
rounds; the median of each is reported. In the same rounds, verification's own pipeline is
timed cut short after each of its steps (read the rows; make entries of them; encode; hash), so
the differences between the cuts say where verification's time goes.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, select

from bench.audit.events import (
    ChainBuilder,
    EventSource,
    add_clients,
    add_practice,
    client_ids,
    insert_log,
)
from bench.audit.timing import collector_paused, seconds
from bench.store.databases import tidy
from confide.audit.entries import AuditEntry, encode_fields
from confide.audit.signing import SigningKey, VerifyKey
from confide.services.audit import (
    VerifyReport,
    checkpoint,
    entries_in_chain_order,
    verify_log,
)
from confide.services.deps import SystemClock
from confide.store import schema as t

CHUNK = 5_000  # rows per fetch, as verification streams them
TARGET_PERCENT = 30.0  # verification's entries/s as a share of the raw hash limit's


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Median seconds of verification's pipeline cut short after each step: reading the rows
    only; then encoding them too; then hashing them too. Each step's cost is the difference
    between one cut and the one before. Beside them, a bound: the bare DB-API cursor fetching
    the same rows and doing nothing with them."""

    driver_s: float  # the same query on the bare DB-API cursor, rows fetched and dropped
    read_s: float  # streaming the rows as verify_log does (SQLAlchemy, column types)
    encoded_s: float  # … and encode_fields of each
    hashed_s: float  # … and sha256 of the bytes

    @property
    def encode_s(self) -> float:
        """What encoding adds."""
        return self.encoded_s - self.read_s

    @property
    def hash_s(self) -> float:
        """What hashing adds."""
        return self.hashed_s - self.encoded_s


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Verification of M entries against the raw hash limit, with where its time goes."""

    entries: int
    chains: int
    entry_bytes: float  # mean encoded size of an entry
    verify_s: list[float]
    raw_hash_s: list[float]
    breakdown: Breakdown
    intact: bool

    @property
    def verify_median_s(self) -> float:
        """The median verification time."""
        return statistics.median(self.verify_s)

    @property
    def raw_median_s(self) -> float:
        """The median time of the bare hashing loop."""
        return statistics.median(self.raw_hash_s)

    @property
    def verify_per_s(self) -> float:
        """Entries verified per second, at the median time."""
        return self.entries / self.verify_median_s

    @property
    def raw_per_s(self) -> float:
        """Entries hashed per second by the bare loop: the limit."""
        return self.entries / self.raw_median_s

    @property
    def percent_of_raw(self) -> float:
        """Verification's rate as a percentage of the raw limit."""
        return 100 * self.verify_per_s / self.raw_per_s

    @property
    def driver_percent_of_raw(self) -> float:
        """The bare fetch's rate as a percentage of the raw limit: above it no verifier that
        reads every row into Python can go."""
        return 100 * self.raw_median_s / self.breakdown.driver_s

    @property
    def target_met(self) -> bool:
        """At least ``TARGET_PERCENT`` of the raw limit."""
        return self.percent_of_raw >= TARGET_PERCENT

    @property
    def rest_s(self) -> float:
        """What verification adds to reading, encoding and hashing every entry: the chain walk
        and its checks, counting, and the checkpoints."""
        return self.verify_median_s - self.breakdown.hashed_s


@dataclass(frozen=True, slots=True)
class LargeResult:
    """One verification of a large log, and how long building it took."""

    entries: int
    chains: int
    build_s: float
    verify_s: float
    intact: bool

    @property
    def verify_per_s(self) -> float:
        """Entries verified per second."""
        return self.entries / self.verify_s


def build_log(
    engine: Engine, entries: int, chains: int, seed: int, log: Callable[[str], None]
) -> tuple[float, VerifyKey]:
    """A log of ``entries`` over ``chains`` clients' chains, and a signed checkpoint over it.

    Returns the seconds it took and the checkpoint's public key.
    """
    started = time.perf_counter()
    clients = client_ids("client", chains)
    add_practice(engine)
    add_clients(engine, clients)
    builder = ChainBuilder()
    rows = (builder.row(e) for e in EventSource(seed).stream(clients, entries))
    inserted = insert_log(engine, rows)
    assert inserted == entries
    tidy(engine)
    key = SigningKey.generate()
    signed = checkpoint(engine, key, SystemClock())
    assert signed is not None
    assert signed.size == builder.chains, "the checkpoint must hold every chain's head"
    elapsed = time.perf_counter() - started
    log(f"built a log of {entries:,} entries over {chains:,} chains in {elapsed:.1f} s")
    return elapsed, key.public_key


def measure_verification(
    engine: Engine,
    *,
    entries: int,
    chains: int,
    repeats: int,
    seed: int,
    log: Callable[[str], None],
) -> VerifyResult:
    """Build the log, gather every entry's bytes, then time verification, the raw limit and
    the cut-short pipelines in rounds (the order shifting every round); medians."""
    _, verify_key = build_log(engine, entries, chains, seed, log)
    log("verification: gathering every stored entry's encoded bytes")
    blobs = _encoded_entries(engine)
    assert len(blobs) == entries
    times: dict[str, list[float]] = {name: [] for name in _SIDES}
    intact = True

    def verify() -> float:
        nonlocal intact
        elapsed, report = seconds(lambda: verify_log(engine, verify_key))
        intact &= _intact(report, entries)
        return elapsed

    calls: dict[str, Callable[[], float]] = {
        "verify": verify,
        "raw": lambda: _raw_hash_s(blobs),
        **{name: _pipeline(engine, depth) for depth, name in enumerate(_CUTS)},
    }
    for round_ in range(repeats):
        shift = round_ % len(_SIDES)
        for name in _SIDES[shift:] + _SIDES[:shift]:
            times[name].append(calls[name]())
        log(
            f"verification: round {round_ + 1}: verify_log {times['verify'][-1]:.3f} s, "
            f"raw sha256 loop {times['raw'][-1]:.4f} s, "
            + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in _CUTS)
        )
    breakdown = Breakdown(*(statistics.median(times[name]) for name in _CUTS))
    mean_bytes = sum(map(len, blobs)) / len(blobs)
    return VerifyResult(
        entries, chains, mean_bytes, times["verify"], times["raw"], breakdown, intact
    )


_CUTS = ("driver", "read", "encoded", "hashed")  # a bound, then the pipeline cut short
_SIDES = ("verify", "raw", *_CUTS)


def measure_large(
    engine: Engine, entries: int, chains: int, seed: int, log: Callable[[str], None]
) -> LargeResult:
    """Build a large log in bulk, then verify it once."""
    build_s, verify_key = build_log(engine, entries, chains, seed, log)
    elapsed, report = seconds(lambda: verify_log(engine, verify_key))
    intact = _intact(report, entries)
    log(f"large log: verify_log of {entries:,} entries took {elapsed:.1f} s")
    return LargeResult(entries, chains, build_s, elapsed, intact)


def _intact(report: VerifyReport, entries: int) -> bool:
    """Every chain and checkpoint verified, and every entry walked; fails the run otherwise."""
    assert report.intact, "; ".join(
        [b.describe() for b in report.breaks] + report.checkpoint_problems
    )
    assert report.entries == entries, f"verified {report.entries} of {entries} entries"
    return True


def _raw_hash_s(blobs: list[bytes]) -> float:
    """The bare loop: SHA-256 of each entry's bytes, nothing else."""
    sha256 = hashlib.sha256
    with collector_paused():
        start = time.perf_counter()
        for blob in blobs:
            sha256(blob).digest()
        return time.perf_counter() - start


def _encoded_entries(engine: Engine) -> list[bytes]:
    """Every stored entry's canonical bytes (untimed), each checked against its stored hash."""
    blobs: list[bytes] = []
    with engine.connect() as c:
        query = select(t.audit_entries).order_by(t.audit_entries.c.chain_id, t.audit_entries.c.seq)
        for row in c.execution_options(stream_results=True, yield_per=CHUNK).execute(query):
            entry = AuditEntry(**row._mapping)
            blob = entry.encode()
            assert hashlib.sha256(blob).digest() == entry.entry_hash
            blobs.append(blob)
    return blobs


def _pipeline(engine: Engine, depth: int) -> Callable[[], float]:
    """Verification's own query and streaming, cut short after step ``depth`` of read, encode,
    hash (depth 0: the bare DB-API cursor instead); timed from the query to the last row."""
    sha256 = hashlib.sha256

    def run() -> float:
        query = entries_in_chain_order(engine.dialect.name)
        with collector_paused(), engine.connect() as c:
            if depth == 0:
                return _driver_fetch_s(c, query)
            start = time.perf_counter()
            rows = c.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
            if depth == 1:
                for _ in rows:
                    pass
            elif depth == 2:
                for r in rows:
                    encode_fields(*r[:-1])
            else:
                for r in rows:
                    sha256(encode_fields(*r[:-1])).digest()
            return time.perf_counter() - start

    return run


def _driver_fetch_s(c: Connection, query: Select[Any]) -> float:
    """The same query on the bare DB-API cursor, rows fetched in chunks and dropped."""
    sql = str(query.compile(dialect=c.dialect, compile_kwargs={"literal_binds": True}))
    cursor = c.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        start = time.perf_counter()
        cursor.execute(sql)
        while cursor.fetchmany(CHUNK):
            pass
        return time.perf_counter() - start
    finally:
        cursor.close()
