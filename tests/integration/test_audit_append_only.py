"""The audit log is append-only in the database itself, and every chain is unbroken."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from confide.audit.entries import AuditEntry, verify_chain
from confide.domain import Category, InvalidValue, Purpose
from confide.services import records
from confide.services.audit import verify_log
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.store import schema as t
from confide.store.access_log import AccessEvent
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.store.settings import StoreSettings
from tests.integration.conftest import Practice


def _entries(deps: Deps, chain_id: str) -> list[AuditEntry]:
    with deps.engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries)
            .where(t.audit_entries.c.chain_id == chain_id)
            .order_by(t.audit_entries.c.seq)
        )
        return [AuditEntry(**r._mapping) for r in rows]


def _activity(deps: Deps, p: Practice) -> None:
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="x"
    )
    records.read_records(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.DIAGNOSIS}),
        purpose=Purpose.TREAT,
    )


def test_each_client_has_an_unbroken_chain_with_role_and_reasons(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    _activity(deps, p)
    chain = _entries(deps, p.client)
    walk = verify_chain(p.client, (e.link() for e in chain))
    assert (walk.verified, walk.broken) == (len(chain), None)  # every entry verified, no break
    read = [e for e in chain if e.action == "read"][-1]
    assert read.actor_role == "clinician"
    assert read.reasons == "diagnosis=permit.treating_clinician"


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_the_database_refuses_to_change_or_delete_an_audit_entry(
    deps: Deps, small_practice: Practice, statement: str
) -> None:
    p = small_practice
    _activity(deps, p)
    where = t.audit_entries.c.chain_id == p.client
    change = (
        update(t.audit_entries).where(where).values(effect="deny")
        if statement == "update"
        else delete(t.audit_entries).where(where)
    )
    with deps.engine.begin() as c:
        if c.dialect.name == "postgresql":
            c.execute(text("SET LOCAL ROLE confide_app"))  # as the application runs
        with pytest.raises(DatabaseError) as refused:
            c.execute(change)
        c.rollback()
    message = str(refused.value).lower()
    assert "append-only" in message or "permission denied" in message
    assert len(_entries(deps, p.client)) > 0


# Roles exist on PostgreSQL only.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_application_role_may_still_append(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    with deps.engine.begin() as c:
        c.execute(text("SET LOCAL ROLE confide_app"))
        before = c.execute(
            select(t.audit_entries.c.seq).where(t.audit_entries.c.chain_id == p.client)
        ).all()
        deps.access_log.append(c, _event(p))
    assert len(_entries(deps, p.client)) == len(before) + 1


def _event(p: Practice) -> AccessEvent:
    return AccessEvent(
        datetime(2026, 4, 1, tzinfo=UTC),
        "req-appended",
        p.clinician,
        p.client,
        "read",
        Purpose.TREAT,
        frozenset({Category.DIAGNOSIS}),
        "permit",
        "permit.treating_clinician",
    )


def test_events_about_clients_not_on_file_go_to_the_system_chain(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    made_up = f"nobody-{p.client}"
    with pytest.raises(NotFoundOrDenied):
        records.read_records(
            deps,
            actor_id=p.clinician,
            client_id=made_up,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.TREAT,
        )
    assert _entries(deps, made_up) == []
    system = _entries(deps, "system")
    assert any(e.client_id == made_up for e in system)
    walk = verify_chain("system", (e.link() for e in system))
    assert (walk.verified, walk.broken) == (len(system), None)


def test_verifying_a_partly_migrated_store_says_so(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")  # before the audit log existed
    report = verify_log(engine, None)
    assert report.state == "not_migrated"
    assert not report.intact
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_application_acting_as_confide_app_works_but_cannot_rewrite_the_log(
    deps: Deps, small_practice: Practice, database_url: str
) -> None:
    p = small_practice
    app_engine = make_engine(database_url, role="confide_app")
    app = Deps(app_engine, deps.vault, deps.clock)
    try:
        _activity(app, p)  # writes, reads and their audit entries, all as confide_app
        with app_engine.begin() as c:
            assert c.execute(text("SELECT current_user")).scalar() == "confide_app"
            with pytest.raises(DatabaseError, match="permission denied"):
                c.execute(update(t.audit_entries).values(effect="deny"))
            c.rollback()
    finally:
        app_engine.dispose()


def test_a_database_role_that_is_not_a_name_is_refused() -> None:
    with pytest.raises(InvalidValue, match="CONFIDE_DATABASE_ROLE"):
        StoreSettings.from_environment({"CONFIDE_DATABASE_ROLE": "x; DROP TABLE clients"})
