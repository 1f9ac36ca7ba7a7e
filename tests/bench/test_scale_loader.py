"""The bulk loader writes what confide's services write: its notes open through the read use
case, and its audit chains and checkpoint verify with confide's own verifier."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from bench.scale.loader import (
    NOTE_TEXT,
    PROBE_CLIENT,
    PROBE_CLINICIAN,
    PracticeLoader,
    PracticeSize,
)
from bench.store.databases import in_ci, postgres_database, postgres_unreachable
from sqlalchemy import Engine, func, select

from confide.domain import Category, Purpose
from confide.services import records
from confide.services.audit import verify_log
from confide.services.deps import Deps, SystemClock
from confide.store import schema as t
from confide.vault import KeyRing, LocalKek, Vault

SIZE = PracticeSize.for_notes(600, probe_notes=5, probe_entries=60, probe_disclosures=3)


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[Engine, PracticeLoader, Deps]]:
    if reason := postgres_unreachable():
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    kek = LocalKek("kek-scale", secrets.token_bytes(32))
    ring = KeyRing({kek.kek_id: kek}, kek.kek_id)
    with postgres_database() as engine:
        loader = PracticeLoader(engine, ring, SIZE)
        loader.load()
        yield engine, loader, Deps(engine, Vault(ring), SystemClock())


def test_the_load_writes_the_size_asked_for(loaded: tuple[Engine, PracticeLoader, Deps]) -> None:
    engine, loader, _ = loaded
    with engine.connect() as c:
        count = {
            name: c.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("clients", t.clients),
                ("records", t.records),
                ("versions", t.record_versions),
                ("entries", t.audit_entries),
                ("heads", t.audit_heads),
            )
        }
    assert count["clients"] == SIZE.clients
    assert count["records"] == count["versions"] == SIZE.notes
    assert count["entries"] == SIZE.audit_entries
    assert count["heads"] == SIZE.clients  # one committed head per chain
    assert loader.report.rows_per_second > 0


def test_a_loaded_note_is_decided_and_decrypted_by_the_read_use_case(
    loaded: tuple[Engine, PracticeLoader, Deps],
) -> None:
    _, loader, deps = loaded
    view = records.read_records(
        deps,
        actor_id=PROBE_CLINICIAN,
        client_id=PROBE_CLIENT,
        categories=frozenset({Category.PROGRESS_NOTE}),
        purpose=Purpose.TREAT,
    )
    assert [e.record_id for e in view.entries] == loader.report.probe_note_ids
    assert view.entries[0].text == NOTE_TEXT.format(n=0, client=PROBE_CLIENT)
    owner, entry = records.read_record(
        deps, actor_id=PROBE_CLINICIAN, record_id=loader.report.probe_note_ids[-1]
    )
    assert owner == PROBE_CLIENT
    assert entry.text == NOTE_TEXT.format(n=SIZE.probe_notes - 1, client=PROBE_CLIENT)


def test_the_loaded_log_verifies_with_its_signed_checkpoint(
    loaded: tuple[Engine, PracticeLoader, Deps],
) -> None:
    engine, loader, _ = loaded
    report = verify_log(engine, loader.signing_key.public_key)
    assert report.breaks == []
    assert report.checkpoint_problems == []
    assert report.checkpoints == 1
    assert report.entries >= SIZE.audit_entries
    assert report.intact
