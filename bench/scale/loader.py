"""Bulk-load a synthetic practice into a migrated PostgreSQL database with ``COPY``.

The rows are those confide's services would write: each client's notes sealed under the client's
own data key (wrapped by the key-encryption key) and bound to their record, and per-client audit
chains hashed exactly as :class:`confide.store.access_log.ChainedAuditLog` hashes them, then
committed by a signed checkpoint made by confide's own ``checkpoint``. Notes and audit entries
are concentrated: a few clients hold much of the record (a Pareto draw).

One *probe* client with a fixed record, treated by a probe clinician with a fixed caseload, is
the same at every size, so a request about it measures what the practice's size costs it.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine

from confide.audit.entries import encode_fields, genesis_hash
from confide.audit.signing import SigningKey
from confide.domain import Category, Purpose, RuleId
from confide.services.audit import checkpoint
from confide.services.deps import SystemClock
from confide.vault import KeyRing
from confide.vault.associated_data import RecordBinding
from confide.vault.data_keys import new_data_key
from confide.vault.sealing import FORMAT_V1, NONCE_BYTES

PRACTICE = "home"
OFFICER = "officer"
OUTSIDE_ORG = "org-referral"
OUTSIDE_PERSON = "ext-clin"
PROBE_CLIENT = "client-probe"
PROBE_CLINICIAN = "clin-probe"
NOTE = Category.PROGRESS_NOTE.value
READ_RULE = RuleId.TREATING_CLINICIAN.value
DISCLOSE_RULE = RuleId.EXCEPTION_DISCLOSURE.value
_NULL = "\\N"  # COPY text format's NULL
NOTE_TEXT = (
    "Synthetic progress note {n} for {client}: attended, engaged, reviewed the plan; "
    + "mood steady, sleep improving, practising the agreed skills between sessions. " * 6
)


@dataclass(frozen=True)
class PracticeSize:
    """How much to load: the practice's totals, and the probe client's fixed share."""

    notes: int
    clients: int
    clinicians: int
    audit_entries: int
    probe_notes: int = 20
    probe_entries: int = 2000
    probe_disclosures: int = 20
    probe_caseload: int = 20

    @classmethod
    def for_notes(cls, notes: int, **probe: int) -> PracticeSize:
        """The scaling goals' proportions: 1,000,000 notes → 10,000 clients, 500 clinicians
        and 10,000,000 audit entries (at least 50 clients and 2 clinicians)."""
        return cls(
            notes=notes,
            clients=max(50, notes // 100),
            clinicians=max(2, notes // 2000),
            audit_entries=10 * notes,
            **probe,
        )


@dataclass
class LoadReport:
    """What was loaded, and how long each part took (seconds)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    probe_note_ids: list[str] = field(default_factory=list)
    sealing_seconds: float = 0.0  # of the time writing record_versions, how much was sealing

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.total_seconds if self.total_seconds else 0.0


def _shares(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing exactly."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    out = [int(r) for r in raw]
    for k in sorted(range(len(raw)), key=lambda k: out[k] - raw[k])[: total - sum(out)]:
        out[k] += 1
    return out


def seal_batch(key: bytes, items: Iterable[tuple[bytes, RecordBinding]]) -> list[bytes]:
    """Seal many contents of one client under its data key, in confide's sealed format
    (``confide.vault.sealing.seal``), building the cipher once for the batch."""
    aead = AESGCM(key)
    out = []
    for plaintext, binding in items:
        nonce = os.urandom(NONCE_BYTES)
        out.append(FORMAT_V1 + nonce + aead.encrypt(nonce, plaintext, binding.encode()))
    return out


@dataclass(frozen=True)
class _Client:
    id: str
    clinician: str
    notes: int
    entries: int
    disclosures: int


class PracticeLoader:
    """Writes one synthetic practice through a psycopg 3 connection's ``COPY``."""

    def __init__(self, engine: Engine, ring: KeyRing, size: PracticeSize, seed: int = 7) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the bulk loader writes with PostgreSQL's COPY")
        self.engine = engine
        self.ring = ring
        self.size = size
        self.random = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.start = self.now - timedelta(days=720)
        self.report = LoadReport()
        self.signing_key = SigningKey.generate()

    def plan(self) -> list[_Client]:
        """Every client, its clinician and its share of notes and entries; the probe first."""
        s = self.size
        clinicians = [PROBE_CLINICIAN] + [f"clin-{k:04d}" for k in range(1, s.clinicians)]
        others = [f"client-{k:06d}" for k in range(1, s.clients)]
        weights = [self.random.paretovariate(1.2) for _ in others]
        notes = _shares(max(0, s.notes - s.probe_notes), weights)
        # Each client's chain holds at least one entry per note (its writing) and then reads.
        spare = max(0, s.audit_entries - s.probe_entries - sum(notes))
        entries = [n + e for n, e in zip(notes, _shares(spare, weights), strict=True)]
        plan = [_Client(PROBE_CLIENT, PROBE_CLINICIAN, s.probe_notes, s.probe_entries,
                        s.probe_disclosures)]  # fmt: skip
        caseload = min(s.probe_caseload - 1, len(others))
        for k, client_id in enumerate(others):
            # The probe clinician's caseload is fixed; the others share the rest of the clients.
            clinician = (
                PROBE_CLINICIAN if k < caseload else clinicians[1 + k % (len(clinicians) - 1)]
            )
            plan.append(_Client(client_id, clinician, notes[k], max(1, entries[k]), 0))
        return plan

    def load(self) -> LoadReport:
        """Write the practice, refresh the planner's statistics, sign a checkpoint."""
        plan = self.plan()
        raw = self.engine.raw_connection()
        try:
            pg: Any = raw.driver_connection
            with pg.cursor() as cur:
                self._people(cur, plan)
                keys = self._keys(cur, plan)
                self._records(cur, plan, keys)
                self._audit(cur, plan)
            started = time.perf_counter()
            pg.commit()
            self.report.seconds["commit"] = time.perf_counter() - started
        finally:
            raw.close()
        started = time.perf_counter()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
        self.report.seconds["analyze"] = time.perf_counter() - started
        started = time.perf_counter()
        checkpoint(self.engine, self.signing_key, SystemClock())
        self.report.seconds["checkpoint"] = time.perf_counter() - started
        return self.report

    def _copy(
        self, cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        started = time.perf_counter()
        count = 0
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        self.report.rows[table] = self.report.rows.get(table, 0) + count
        self.report.seconds[table] = (
            self.report.seconds.get(table, 0.0) + time.perf_counter() - started
        )

    def _copy_text(
        self, cur: Any, table: str, columns: Sequence[str], lines: Iterable[str]
    ) -> None:
        """COPY preformatted text lines, written in chunks: the fast path for the big tables.
        Their text fields are the loader's own ids and codes, which hold no tab, newline or
        backslash, so nothing needs escaping."""
        started = time.perf_counter()
        count = 0
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == 10_000:
                    copy.write("".join(chunk).encode())
                    count += len(chunk)
                    chunk = []
            copy.write("".join(chunk).encode())
            count += len(chunk)
        self.report.rows[table] = self.report.rows.get(table, 0) + count
        self.report.seconds[table] = (
            self.report.seconds.get(table, 0.0) + time.perf_counter() - started
        )

    def _people(self, cur: Any, plan: list[_Client]) -> None:
        s, t0 = self.size, self.start
        self._copy(
            cur,
            "organisations",
            ("id", "name"),
            [(PRACTICE, "Synthetic practice"), (OUTSIDE_ORG, "Synthetic referral clinic")],
        )
        clinicians = [PROBE_CLINICIAN] + [f"clin-{k:04d}" for k in range(1, s.clinicians)]
        actors: list[tuple[Any, ...]] = [
            (OFFICER, "privacy_officer", PRACTICE, None, None),
            (OUTSIDE_PERSON, "clinician", OUTSIDE_ORG, t0, OFFICER),
        ]
        actors += [(c, "clinician", PRACTICE, t0, OFFICER) for c in clinicians]
        actors += [(c.id, "client", None, None, None) for c in plan]
        self._copy(cur, "actors", ("id", "role", "organisation_id", "added_at", "added_by"), actors)
        self._copy(
            cur,
            "clients",
            ("id", "organisation_id", "created_at"),
            ((c.id, PRACTICE, t0) for c in plan),
        )
        self._copy(
            cur,
            "relationships",
            ("id", "clinician_id", "client_id", "starts_at", "ends_at"),
            ((f"rel-{c.id}", c.clinician, c.id, t0, None) for c in plan),
        )
        # Each client consents to the referral clinic for coordination of care with diagnoses.
        self._copy(cur, "consents",
                   ("id", "client_id", "recipient_id", "effect", "categories", "purposes",
                    "starts_at", "ends_at", "revoked_at", "recorded_at", "replaces_id"),
                   ((f"consent-{c.id}", c.id, OUTSIDE_ORG, "permit", Category.DIAGNOSIS.value,
                     Purpose.COC.value, t0, None, None, t0, None) for c in plan))  # fmt: skip

    def _keys(self, cur: Any, plan: list[_Client]) -> dict[str, bytes]:
        keys: dict[str, bytes] = {}
        rows = []
        for c in plan:
            key, stored = new_data_key(self.ring, c.id)
            keys[c.id] = key
            rows.append((c.id, stored.kek_id, stored.wrapped, None, None))
        self._copy(
            cur,
            "client_keys",
            ("client_id", "kek_id", "wrapped", "erased_at", "retain_until"),
            rows,
        )
        return keys

    def _records(self, cur: Any, plan: list[_Client], keys: dict[str, bytes]) -> None:
        heads = ("id", "client_id", "category", "author_id", "created_at")
        self._copy_text(cur, "records", heads, (
            f"rec-{c.id}-{k}\t{c.id}\t{NOTE}\t{c.clinician}\t{self._note_time(k, c.notes)}\n"
            for c in plan for k in range(c.notes)))  # fmt: skip
        self.report.probe_note_ids = [f"rec-{PROBE_CLIENT}-{k}" for k in range(plan[0].notes)]
        self._copy_text(cur, "record_versions",
                        ("record_id", "version", "ciphertext", "author_id", "recorded_at"),
                        self._sealed_versions(plan, keys))  # fmt: skip

    def _note_time(self, k: int, n: int) -> str:
        return (self.start + timedelta(minutes=1 + k * 10_000 // max(1, n))).isoformat()

    def _sealed_versions(self, plan: list[_Client], keys: dict[str, bytes]) -> Iterator[str]:
        """Each client's notes sealed in one batch under its data key, as COPY text lines."""
        for c in plan:
            ids = [f"rec-{c.id}-{k}" for k in range(c.notes)]
            started = time.perf_counter()
            sealed = seal_batch(keys[c.id], (
                (NOTE_TEXT.format(n=k, client=c.id).encode(), RecordBinding(c.id, rid, NOTE, 1))
                for k, rid in enumerate(ids)))  # fmt: skip
            self.report.sealing_seconds += time.perf_counter() - started
            for k, (rid, blob) in enumerate(zip(ids, sealed, strict=True)):
                yield f"{rid}\t1\t\\\\x{blob.hex()}\t{c.clinician}\t{self._note_time(k, c.notes)}\n"

    def _audit(self, cur: Any, plan: list[_Client]) -> None:
        columns = ("chain_id", "seq", "at", "request_id", "actor_id", "actor_role", "client_id",
                   "action", "purpose", "categories", "permitted", "effect", "rule", "reasons",
                   "record_id", "record_ids", "prev_hash", "entry_hash")  # fmt: skip
        # A bulk load builds the secondary indexes once, after the rows, rather than row by row;
        # they come back under the names and definitions the migrations gave them.
        cur.execute(
            "DROP INDEX ix_audit_entries_at, ix_audit_entries_actor_id, "
            "ix_audit_entries_chain_at_seq, ix_audit_entries_chain_action_at"
        )
        self._copy_text(cur, "audit_entries", columns, (x for c in plan for x in self._chain(c)))
        started = time.perf_counter()
        cur.execute("CREATE INDEX ix_audit_entries_at ON audit_entries (at)")
        cur.execute("CREATE INDEX ix_audit_entries_actor_id ON audit_entries (actor_id)")
        cur.execute(
            "CREATE INDEX ix_audit_entries_chain_at_seq ON audit_entries (chain_id, at, seq)"
        )
        cur.execute(
            "CREATE INDEX ix_audit_entries_chain_action_at ON audit_entries (chain_id, action, at)"
        )
        self.report.seconds["audit_indexes"] = time.perf_counter() - started

    def _chain(self, c: _Client) -> Iterator[str]:
        """One client's chain as COPY text lines: a write per note, then reads by its clinician
        and, for the probe, exception disclosures to the outside clinician; each entry hashed as
        the audit log hashes it (``encode_fields``), linked to the one before."""
        prev = genesis_hash(c.id)
        span = (self.now - timedelta(days=1) - self.start) // max(1, c.entries)
        every = c.entries // c.disclosures if c.disclosures else 0
        read = (c.clinician, "clinician", "TREAT", READ_RULE, "read")
        disclose = (OUTSIDE_PERSON, "clinician", Purpose.PUBHLTH.value, DISCLOSE_RULE, "disclose")
        for seq in range(1, c.entries + 1):
            at = (self.start + span * seq).isoformat(timespec="microseconds")
            note = f"rec-{c.id}-{(seq - 1) % c.notes}" if c.notes else ""
            actor, role, purpose, rule, action = read
            record_id: str | None = None
            record_ids = note
            if seq <= c.notes:
                action, record_id, record_ids = "write", note, ""
            elif every and seq % every == 0:
                actor, role, purpose, rule, action = disclose
                record_id = f"disc-{c.id}-{seq}"
            request_id, reasons = f"req-{c.id}-{seq}", f"{NOTE}={rule}"
            digest = hashlib.sha256(
                encode_fields(c.id, seq, at, request_id, actor, role, c.id, action, purpose,
                              NOTE, NOTE, "permit", rule, reasons, record_id, record_ids, prev)
            ).digest()  # fmt: skip
            yield (
                f"{c.id}\t{seq}\t{at}\t{request_id}\t{actor}\t{role}\t{c.id}\t{action}\t"
                f"{purpose}\t{NOTE}\t{NOTE}\tpermit\t{rule}\t{reasons}\t"
                f"{_NULL if record_id is None else record_id}\t{record_ids}\t"
                f"\\\\x{prev.hex()}\t\\\\x{digest.hex()}\n"
            )
            prev = digest
