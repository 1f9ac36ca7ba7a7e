"""Every kind of tampering with the audit log is detected, on SQLite and on PostgreSQL.

Each test acts as an attacker with the owner's rights: it lifts the append-only guard (drops
SQLite's triggers; PostgreSQL's owner is not bound by the application role's grants), edits the
tables directly, and expects verification to name the first broken entry and how it broke.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, delete, func, insert, select, text, update

from confide.audit import merkle
from confide.audit.entries import AuditEntry, BreakKind
from confide.audit.signing import SigningKey, VerifyKey
from confide.domain import Category, Purpose
from confide.services import records
from confide.services.audit import checkpoint, prove_extension, prove_head, verify_log
from confide.services.deps import Deps
from confide.store import schema as t
from confide.store.access_log import AccessEvent, ChainedAuditLog
from tests.integration.conftest import Practice

pytestmark = pytest.mark.whole_database
E = t.audit_entries


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@contextmanager
def as_owner(deps: Deps) -> Iterator[Connection]:
    """A transaction with the append-only guard lifted, as an attacker with owner rights."""
    with deps.engine.begin() as c:
        if c.dialect.name == "sqlite":
            for table in t.AUDIT_TABLES:
                for verb in ("update", "delete"):
                    c.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        yield c


def _activity(deps: Deps, p: Practice, reads: int = 3) -> None:
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="x"
    )
    for _ in range(reads):
        records.read_records(
            deps,
            actor_id=p.clinician,
            client_id=p.client,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.TREAT,
        )


def _chain(c: Connection, chain_id: str) -> list[AuditEntry]:
    rows = c.execute(select(E).where(E.c.chain_id == chain_id).order_by(E.c.seq))
    return [AuditEntry(**r._mapping) for r in rows]


def _only_break(deps: Deps, key: SigningKey, chain_id: str) -> tuple[int, BreakKind]:
    report = verify_log(deps.engine, key.public_key)
    assert not report.intact
    found = [(b.seq, b.kind) for b in report.breaks if b.chain_id == chain_id]
    assert len(found) == 1, report.breaks
    return found[0]


def test_an_untouched_log_verifies(deps: Deps, small_practice: Practice, key: SigningKey) -> None:
    _activity(deps, small_practice)
    assert checkpoint(deps.engine, key, deps.clock) is not None
    _activity(deps, small_practice)  # entries after the checkpoint are fine too
    report = verify_log(deps.engine, key.public_key)
    assert report.intact, (report.breaks, report.checkpoint_problems)
    assert report.entries >= 10
    assert report.checkpoints == 1


def test_a_changed_field_is_detected(deps: Deps, small_practice: Practice, key: SigningKey) -> None:
    p = small_practice
    _activity(deps, p)
    with as_owner(deps) as c:
        c.execute(update(E).where(E.c.chain_id == p.client, E.c.seq == 3).values(effect="deny"))
    assert _only_break(deps, key, p.client) == (3, BreakKind.CHANGED)


def test_a_deleted_entry_is_detected(deps: Deps, small_practice: Practice, key: SigningKey) -> None:
    p = small_practice
    _activity(deps, p)
    with as_owner(deps) as c:
        c.execute(delete(E).where(E.c.chain_id == p.client, E.c.seq == 2))
    assert _only_break(deps, key, p.client) == (3, BreakKind.MISSING)


def test_an_inserted_entry_is_detected(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    p = small_practice
    _activity(deps, p)
    with as_owner(deps) as c:
        chain = _chain(c, p.client)
        # Make room at 3 by moving every later entry up one, then slip a forged entry in,
        # hashed correctly for its own fields: the entry after it no longer links to it.
        for entry in reversed(chain[2:]):
            c.execute(
                update(E)
                .where(E.c.chain_id == p.client, E.c.seq == entry.seq)
                .values(seq=entry.seq + 1)
            )
        forged = AuditEntry(**{**_as_dict(chain[1]), "seq": 3, "effect": "deny", "entry_hash": b""})
        forged = AuditEntry(**{**_as_dict(forged), "prev_hash": chain[1].entry_hash})
        c.execute(insert(E).values(**{**_as_dict(forged), "entry_hash": forged.computed_hash()}))
    seq, kind = _only_break(deps, key, p.client)
    assert seq == 4
    assert kind in {BreakKind.CHANGED, BreakKind.INSERTED_OR_REORDERED}


def test_reordered_entries_are_detected(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    p = small_practice
    _activity(deps, p)
    with as_owner(deps) as c:
        c.execute(update(E).where(E.c.chain_id == p.client, E.c.seq == 2).values(seq=-2))
        c.execute(update(E).where(E.c.chain_id == p.client, E.c.seq == 3).values(seq=2))
        c.execute(update(E).where(E.c.chain_id == p.client, E.c.seq == -2).values(seq=3))
    assert _only_break(deps, key, p.client)[0] == 2


def test_a_truncated_tail_is_caught_by_the_last_signed_checkpoint(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    p = small_practice
    _activity(deps, p)
    checkpoint(deps.engine, key, deps.clock)
    with as_owner(deps) as c:
        last = _chain(c, p.client)[-1].seq
        c.execute(delete(E).where(E.c.chain_id == p.client, E.c.seq >= last - 1))
    assert _only_break(deps, key, p.client) == (last - 1, BreakKind.TRUNCATED)


def test_a_rewritten_chain_is_caught_by_the_last_signed_checkpoint(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    p = small_practice
    _activity(deps, p)
    checkpoint(deps.engine, key, deps.clock)
    with as_owner(deps) as c:
        # Rewrite the last entry and re-hash it: the chain alone would look intact.
        last = _chain(c, p.client)[-1]
        changed = AuditEntry(**{**_as_dict(last), "effect": "deny"})
        c.execute(
            update(E)
            .where(E.c.chain_id == p.client, E.c.seq == last.seq)
            .values(effect="deny", entry_hash=changed.computed_hash())
        )
    assert _only_break(deps, key, p.client) == (last.seq, BreakKind.NOT_IN_CHECKPOINT)


def test_a_forged_checkpoint_is_detected(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    _activity(deps, small_practice)
    checkpoint(deps.engine, key, deps.clock)
    with as_owner(deps) as c:
        c.execute(update(t.audit_checkpoints).values(root=b"\x00" * 32))
    report = verify_log(deps.engine, key.public_key)
    assert not report.intact
    assert any("forged" in problem for problem in report.checkpoint_problems)
    # A checkpoint signed by someone else's key is no better.
    other = SigningKey.generate()
    assert not verify_log(deps.engine, other.public_key).intact


def test_altered_checkpoint_leaves_are_detected(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    _activity(deps, small_practice)
    checkpoint(deps.engine, key, deps.clock)
    with as_owner(deps) as c:
        c.execute(update(t.audit_heads).values(seq=1))
    report = verify_log(deps.engine, key.public_key)
    assert any("leaves" in problem for problem in report.checkpoint_problems)


def test_proofs_let_a_third_party_check_a_head_and_an_extension(
    deps: Deps, small_practice: Practice, key: SigningKey
) -> None:
    p = small_practice
    _activity(deps, p)
    first = checkpoint(deps.engine, key, deps.clock)
    assert first is not None
    _activity(deps, p)
    later = checkpoint(deps.engine, key, deps.clock)
    assert later is not None
    assert later.size > first.size

    public = VerifyKey.from_text(key.public_key.to_text())  # all a third party holds
    proof = prove_head(deps.engine, p.client)
    assert proof is not None
    assert proof.verify(public)
    signed, extension = prove_extension(deps.engine, first.size)
    assert merkle.verify_consistency(first.size, signed.size, first.root, signed.root, extension)
    assert not merkle.verify_consistency(
        first.size, signed.size, b"\x01" * 32, signed.root, extension
    )


def test_an_empty_log_says_so(deps: Deps, key: SigningKey) -> None:
    report = verify_log(deps.engine, key.public_key)
    assert report.state == "empty"


def _as_dict(entry: AuditEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in AuditEntry.__slots__}


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),  # no fraction of a second
        datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2026, 10, 25, 1, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_the_verifier_reads_back_exactly_the_bytes_each_entry_hashed(
    deps: Deps, small_practice: Practice, key: SigningKey, at: datetime
) -> None:
    """Verification encodes the stored fields itself (the database formats the time); every kind
    of value an entry holds must give back the hash it was appended with."""
    p = small_practice
    events = [
        AccessEvent(at, "req-1", p.clinician, p.client, "read", None, frozenset(), "deny", "r"),
        AccessEvent(
            at,
            "req-2",
            p.clinician,
            p.client,
            "read",
            Purpose.TREAT,
            frozenset({Category.DIAGNOSIS, Category.PROGRESS_NOTE}),
            "permit",
            "permit.treating_clinician",
            record_id="",
            permitted=frozenset({Category.DIAGNOSIS}),
            record_ids=("rec-1", "rec-2"),
            reasons=("diagnosis=permit.treating_clinician", "note=" + "x" * 5000),
        ),
    ]
    with deps.engine.begin() as c:
        for event in events:
            ChainedAuditLog().append(c, event)

    report = verify_log(deps.engine, key.public_key)

    assert not report.breaks, report.breaks
    with deps.engine.connect() as c:
        stored = c.execute(select(func.count()).select_from(E)).scalar_one()
        appended = _chain(c, p.client)[-2:]
    assert report.entries == stored
    assert [e.request_id for e in appended] == ["req-1", "req-2"]
    assert all(e.computed_hash() == e.entry_hash for e in appended)


@pytest.mark.parametrize(
    ("rewrite", "first_break"),
    [
        (lambda text: text[:19], 2),  # the same instant to the second, fraction dropped
        (lambda text: text[:18] + "9" + text[19:], 2),  # another second
        (lambda text: 1772442001, 2),  # a number where a time was
        (lambda text: b"\x00", 2),  # bytes where a time was
        (lambda text: text.replace(" ", "T"), 3),  # the same text the hash covers: not a change
    ],
    ids=["no-fraction", "another-second", "a-number", "bytes", "t-separator"],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL's types refuse
def test_a_time_stored_in_another_form_on_sqlite_is_a_change_not_a_crash(
    deps: Deps,
    small_practice: Practice,
    key: SigningKey,
    rewrite: Callable[[str], object],
    first_break: int,
) -> None:
    client = small_practice.client
    _activity(deps, small_practice)
    with as_owner(deps) as c:
        (stored,) = c.exec_driver_sql(
            "SELECT at FROM audit_entries WHERE chain_id = ? AND seq = 2", (client,)
        ).one()
        c.exec_driver_sql(
            "UPDATE audit_entries SET at = ? WHERE chain_id = ? AND seq = 2",
            (rewrite(stored), client),
        )
        c.exec_driver_sql(
            "UPDATE audit_entries SET actor_role = 42 WHERE chain_id = ? AND seq = 3", (client,)
        )

    assert _only_break(deps, key, client) == (first_break, BreakKind.CHANGED)
