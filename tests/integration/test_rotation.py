"""Key rotation re-wraps data keys without touching records, and resumes if cut short."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from sqlalchemy import select, text

from confide.domain import Category, Client, Purpose
from confide.services import practice, records
from confide.services.deps import Deps
from confide.services.errors import Conflict
from confide.services.keys import ROTATION_LOCK_ID, rotate_keys
from confide.store import schema as t
from confide.store.keys_repository import KeysRepository
from confide.vault import KeyUnavailable, Vault, create_key_file, load_key_file, rewrap_data_key
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


def test_a_second_rotation_on_this_machine_is_refused_while_one_runs(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    key_file = tmp_path / "confide.key"
    deps = _adopt_key_file(deps, key_file)
    with (tmp_path / "confide.key.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # what a running rotation holds
        with pytest.raises(Conflict, match="another key rotation is running"):
            rotate_keys(deps.engine, key_file)
        fcntl.flock(held, fcntl.LOCK_UN)
    assert len(load_key_file(key_file).keys) == 1  # the refused rotation added no key
    assert not rotate_keys(deps.engine, key_file).resumed  # and the lock is free again


# SQLite is a local file: there, the lock file is the whole story.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_rotation_from_another_machine_is_refused_by_the_database_lock(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    key_file = tmp_path / "confide.key"
    deps = _adopt_key_file(deps, key_file)
    with deps.engine.connect() as other_machine:
        other_machine.execute(text("SELECT pg_advisory_lock(:id)"), {"id": ROTATION_LOCK_ID})
        with pytest.raises(Conflict, match="another key rotation is running"):
            rotate_keys(deps.engine, key_file)
        other_machine.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ROTATION_LOCK_ID})
    assert len(load_key_file(key_file).keys) == 1


def test_a_running_process_reads_on_after_a_rotation_elsewhere(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    p = small_practice
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="kept"
    )
    key_file = tmp_path / "confide.key"
    adopted = _adopt_key_file(deps, key_file)
    server = Deps(
        deps.engine,
        Vault(load_key_file(key_file), reload=lambda: load_key_file(key_file)),
        deps.clock,
    )
    stale = Deps(deps.engine, Vault(load_key_file(key_file)), deps.clock)

    rotate_keys(adopted.engine, key_file)  # as `confide keys rotate` in another process

    def read(d: Deps) -> list[str]:
        view = records.read_records(
            d,
            actor_id=p.clinician,
            client_id=p.client,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.TREAT,
        )
        return [e.text for e in view.entries]

    assert read(server) == ["kept"]
    with pytest.raises(KeyUnavailable, match="not in the key file"):
        read(stale)  # without a reload, a process would fail until restarted


def test_every_rotation_is_on_the_audit_log_and_an_interrupted_one_shows(
    deps: Deps, small_practice: Practice, tmp_path: Path
) -> None:
    key_file = tmp_path / "confide.key"
    deps = _adopt_key_file(deps, key_file)

    def stop(done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rotate_keys(deps.engine, key_file, batch=1, progress=stop)
    rotate_keys(deps.engine, key_file)
    with deps.engine.connect() as c:
        rules = c.execute(
            select(t.audit_entries.c.rule)
            .where(
                t.audit_entries.c.chain_id == "system", t.audit_entries.c.action == "rotate_keys"
            )
            .order_by(t.audit_entries.c.seq)
        ).scalars()
        assert list(rules) == ["keys.rotation_started", "keys.rotation_started", "keys.rotated"]
