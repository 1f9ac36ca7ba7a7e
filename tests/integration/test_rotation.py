"""Key rotation re-wraps data keys without touching records, and resumes if cut short."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from confide.domain import Category, Client, Purpose
from confide.services import practice, records
from confide.services.deps import Deps
from confide.services.keys import rotate_keys
from confide.store import schema as t
from confide.store.keys_repository import KeysRepository
from confide.vault import Vault, create_key_file, load_key_file, rewrap_data_key
from tests.integration.conftest import Practice

pytestmark = pytest.mark.whole_database


class Interrupted(Exception):
    pass


def _adopt_key_file(deps: Deps, key_file: Path) -> Deps:
    """Move every data key under a key file's key, as a real data directory has."""
    ring = create_key_file(key_file)
    both = type(ring)({**deps.vault.ring.keys, **ring.keys}, ring.active_id)
    with deps.engine.begin() as c:
        keys = KeysRepository(c)
        for stored in keys.not_wrapped_by(ring.active_id, 100_000):
            keys.replace(stored, rewrap_data_key(both, stored))
    return Deps(deps.engine, Vault(ring), deps.clock)


def test_rotation_rewraps_every_key_and_leaves_records_untouched(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    p = small_practice
    for n in range(3):
        practice.create_client(deps, Client(f"{p.client}-{n}", p.home), by=p.clinician)
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.DIAGNOSIS,
        text="synthetic",
    )
    key_file = tmp_path / "confide.key"
    deps = _adopt_key_file(deps, key_file)
    with deps.engine.connect() as c:
        before = {r.record_id: r.ciphertext for r in c.execute(select(t.record_versions))}
    report = rotate_keys(deps.engine, key_file, batch=2)
    assert not report.resumed
    assert report.rewrapped >= 4
    ring = load_key_file(key_file)
    assert ring.active_id == report.active_kek_id
    with deps.engine.connect() as c:
        after = {r.record_id: r.ciphertext for r in c.execute(select(t.record_versions))}
        assert KeysRepository(c).count_not_wrapped_by(ring.active_id) == 0
    assert after == before
    view = records.read_records(
        Deps(deps.engine, Vault(ring), deps.clock),
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.DIAGNOSIS}),
        purpose=Purpose.TREAT,
    )
    assert [e.text for e in view.entries] == ["synthetic"]


def test_an_interrupted_rotation_resumes_instead_of_starting_another(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    p = small_practice
    for n in range(4):
        practice.create_client(deps, Client(f"{p.client}-{n}", p.home), by=p.clinician)
    key_file = tmp_path / "confide.key"
    deps = _adopt_key_file(deps, key_file)

    def stop_after_first_batch(done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rotate_keys(deps.engine, key_file, batch=2, progress=stop_after_first_batch)
    ring = load_key_file(key_file)
    assert len(ring.keys) == 2
    with deps.engine.connect() as c:
        assert KeysRepository(c).count_not_wrapped_by(ring.active_id) > 0
    report = rotate_keys(deps.engine, key_file, batch=2)
    assert report.resumed
    assert report.active_kek_id == ring.active_id
    assert len(load_key_file(key_file).keys) == 2
    with deps.engine.connect() as c:
        assert KeysRepository(c).count_not_wrapped_by(ring.active_id) == 0
