"""Sealed notes against the same path unsealed: writes and reads through the services.

The baseline is the service path itself with a vault whose ``seal`` and ``open`` hand the bytes
back unchanged, so the decision, the access event, the SQL and the transaction are the same on
both sides and the difference is what encryption costs. Calls alternate between the two vaults
(which goes first swaps every call), so drift in the machine or the database hits both alike.
"""

from __future__ import annotations

import gc
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from bench.decision.timing import percentile
from bench.store.config import Config
from bench.store.practice import (
    CLINICIAN,
    NotesPractice,
    add_notes_practice,
    add_treated_clients,
    synthetic_notes,
)
from confide.domain import Category, Purpose
from confide.services.deps import Deps, SystemClock
from confide.services.records import RecordView, read_records, write_record
from confide.store import schema as t
from confide.vault import KeyRing, LocalKek, RecordBinding, Vault, WrappedDataKey

GC_BATCH = 100  # calls between untimed collections
CRYPTO_CALLS = 2_000
NOTES = frozenset({Category.PROGRESS_NOTE})


class PlaintextVault(Vault):
    """The vault with encryption taken out: ``seal`` and ``open`` return their input unchanged.

    The owner check stays, so everything but the cipher is the real vault's.
    """

    def seal(self, stored: WrappedDataKey, plaintext: bytes, binding: RecordBinding) -> bytes:
        """The plaintext itself."""
        self._check_owner(stored, binding)
        return plaintext

    def open(self, stored: WrappedDataKey, blob: bytes, binding: RecordBinding) -> bytes:
        """The stored bytes themselves."""
        self._check_owner(stored, binding)
        return blob


@dataclass(frozen=True, slots=True)
class Latencies:
    """Each timed call's latency in nanoseconds."""

    latencies_ns: list[int]

    @property
    def per_second(self) -> float:
        """Calls per second: calls over the time spent in them."""
        total = sum(self.latencies_ns)
        return len(self.latencies_ns) * 1e9 / total if total else math.inf

    @property
    def mean_us(self) -> float:
        """The mean latency, in microseconds."""
        return sum(self.latencies_ns) / len(self.latencies_ns) / 1000

    @property
    def p50_us(self) -> float:
        """The median latency, in microseconds."""
        return percentile(self.latencies_ns, 0.50) / 1000

    @property
    def p99_us(self) -> float:
        """The 99th-percentile latency, in microseconds."""
        return percentile(self.latencies_ns, 0.99) / 1000


@dataclass(frozen=True, slots=True)
class NotesResult:
    """Writes and reads, sealed and unsealed, on one database."""

    write_encrypted: Latencies
    write_plaintext: Latencies
    read_encrypted: Latencies
    read_plaintext: Latencies
    notes_per_read: int

    @property
    def write_ratio(self) -> float:
        """Mean write time sealed over unsealed."""
        return self.write_encrypted.mean_us / self.write_plaintext.mean_us

    @property
    def read_ratio(self) -> float:
        """Mean read time sealed over unsealed."""
        return self.read_encrypted.mean_us / self.read_plaintext.mean_us


@dataclass(frozen=True, slots=True)
class CryptoCost:
    """The cipher alone on one note, with the data key already unwrapped: mean µs per call."""

    seal_us: float
    open_us: float


def measure_notes(engine: Engine, config: Config, log: Callable[[str], None]) -> NotesResult:
    """Write every note of every client, then read clients' notes, sealed and unsealed in turn."""
    kek = LocalKek("kek-bench", secrets.token_bytes(32))
    ring = KeyRing({kek.kek_id: kek}, kek.kek_id)
    sealed = Deps(engine, Vault(ring), SystemClock())
    plain = Deps(engine, PlaintextVault(ring), SystemClock())
    practice = add_notes_practice(engine, sealed.vault, config.note_clients, SystemClock().now())
    texts = synthetic_notes(config.writes + config.warmup, config.note_bytes, config.seed)
    warm, timed = texts[: config.warmup], texts[config.warmup :]

    def writer(deps: Deps, clients: tuple[str, ...], notes: list[str]) -> Callable[[int], Any]:
        return lambda i: write_record(
            deps,
            actor_id=practice.clinician_id,
            client_id=clients[i % len(clients)],
            category=Category.PROGRESS_NOTE,
            text=notes[i],
        )

    def reader(deps: Deps, clients: tuple[str, ...]) -> Callable[[int], RecordView]:
        return lambda i: read_records(
            deps,
            actor_id=practice.clinician_id,
            client_id=clients[i % len(clients)],
            categories=NOTES,
            purpose=Purpose.TREAT,
        )

    log(f"notes: {config.warmup} warm-up writes and {config.writes} timed writes per vault")
    _alternate(
        writer(sealed, practice.warmup_encrypted, warm),
        writer(plain, practice.warmup_plaintext, warm),
        config.warmup,
    )
    write_e, write_p, _, _ = _alternate(
        writer(sealed, practice.encrypted, timed),
        writer(plain, practice.plaintext, timed),
        config.writes,
    )
    _check_at_rest(engine, practice, timed)
    log(f"notes: {config.warmup} warm-up reads and {config.reads} timed reads per vault")
    _alternate(
        reader(sealed, practice.warmup_encrypted),
        reader(plain, practice.warmup_plaintext),
        config.warmup,
    )
    read_e, read_p, views_e, views_p = _alternate(
        reader(sealed, practice.encrypted), reader(plain, practice.plaintext), config.reads
    )
    for view in views_e + views_p:
        assert len(view.entries) == config.notes_per_read, "a read missed some of its notes"
        assert all(len(e.text) == config.note_bytes for e in view.entries)
    return NotesResult(write_e, write_p, read_e, read_p, config.notes_per_read)


def measure_crowded_reads(
    engine: Engine, vault: Vault, config: Config, log: Callable[[str], None]
) -> Latencies:
    """Sealed reads of one client's notes in a store already crowded with other clients' notes.

    The reader is a new client of the store's practice with ``notes_per_read`` sealed notes;
    ``vault`` must hold the key that wraps the store's new data keys.
    """
    deps = Deps(engine, vault, SystemClock())
    reader = "reader-000"
    add_treated_clients(engine, vault, [reader], SystemClock().now())
    for text in synthetic_notes(config.notes_per_read, config.note_bytes, config.seed + 1):
        write_record(
            deps,
            actor_id=CLINICIAN,
            client_id=reader,
            category=Category.PROGRESS_NOTE,
            text=text,
        )
    log(f"notes: {config.crowded_reads} timed reads of one client in the crowded store")

    def read(_: int) -> RecordView:
        view = read_records(
            deps, actor_id=CLINICIAN, client_id=reader, categories=NOTES, purpose=Purpose.TREAT
        )
        assert len(view.entries) == config.notes_per_read, "a read missed some of its notes"
        return view

    read(0)  # warm-up
    return _timed(read, config.crowded_reads)


def measure_crypto(config: Config) -> CryptoCost:
    """Time sealing and opening one note with the real vault, its data key in the cache."""
    kek = LocalKek("kek-bench", secrets.token_bytes(32))
    vault = Vault(KeyRing({kek.kek_id: kek}, kek.kek_id))
    key = vault.new_client_key("client-crypto")
    body = synthetic_notes(1, config.note_bytes, config.seed)[0].encode()
    binding = RecordBinding("client-crypto", "rec-crypto", Category.PROGRESS_NOTE.value, 1)
    blob = vault.seal(key, body, binding)
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(CRYPTO_CALLS):
        vault.seal(key, body, binding)
    sealing = clock() - start
    start = clock()
    for _ in range(CRYPTO_CALLS):
        vault.open(key, blob, binding)
    opening = clock() - start
    return CryptoCost(sealing / CRYPTO_CALLS / 1000, opening / CRYPTO_CALLS / 1000)


def _alternate(
    first: Callable[[int], Any], second: Callable[[int], Any], count: int
) -> tuple[Latencies, Latencies, list[Any], list[Any]]:
    """Call both ``count`` times, alternating which goes first; time each call on its own."""
    times: tuple[list[int], list[int]] = ([0] * count, [0] * count)
    results: tuple[list[Any], list[Any]] = ([None] * count, [None] * count)
    calls = (first, second)
    clock = time.perf_counter_ns
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(count):
            if i % GC_BATCH == 0:
                gc.collect(0)
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                start = clock()
                result = calls[side](i)
                times[side][i] = clock() - start
                results[side][i] = result
    finally:
        if was_enabled:
            gc.enable()
    return Latencies(times[0]), Latencies(times[1]), results[0], results[1]


def _timed(call: Callable[[int], Any], count: int) -> Latencies:
    """Call ``count`` times, timing each call on its own, the collector paused."""
    times = [0] * count
    clock = time.perf_counter_ns
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(count):
            start = clock()
            call(i)
            times[i] = clock() - start
    finally:
        if was_enabled:
            gc.enable()
    return Latencies(times)


def _check_at_rest(engine: Engine, practice: NotesPractice, texts: list[str]) -> None:
    """The sealed side stored no plaintext, and the baseline stored exactly the plaintext."""
    with engine.connect() as c:
        rows = c.execute(
            select(t.records.c.client_id, t.record_versions.c.ciphertext)
            .join(t.record_versions, t.record_versions.c.record_id == t.records.c.id)
            .where(t.records.c.client_id.in_([practice.encrypted[0], practice.plaintext[0]]))
        ).all()
    stored = {text.encode() for text in texts}
    for client_id, blob in rows:
        if client_id == practice.encrypted[0]:
            assert bytes(blob) not in stored, "a sealed note must not be stored as plaintext"
            assert texts[0].encode()[:64] not in bytes(blob)
        else:
            assert bytes(blob) in stored, "the baseline must store the plaintext unchanged"
