"""Changing the practice is authorised and logged: nobody grants themselves a way into a record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
    UnknownReference,
)
from confide.services import consents, erasure, practice, records
from confide.services.deps import Deps
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.store import schema as t
from confide.vault import DataKeyErased, ErasureRefused
from tests.integration.conftest import T0, Practice


def _events(deps: Deps, action: str, by: str) -> list[tuple[str, str]]:
    with deps.engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries.c.effect, t.audit_entries.c.rule)
            .where(t.audit_entries.c.action == action, t.audit_entries.c.actor_id == by)
            .order_by(t.audit_entries.c.at, t.audit_entries.c.seq)
        ).all()
    return [(str(e), str(r)) for e, r in rows]


def _read(deps: Deps, actor: str, client: str) -> int:
    view = records.read_records(
        deps,
        actor_id=actor,
        client_id=client,
        categories=frozenset({Category.DIAGNOSIS}),
        purpose=Purpose.TREAT,
    )
    return len(view.entries)


def test_a_clinician_cannot_assign_themselves_and_the_attempt_is_logged(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="x"
    )
    rel = TreatmentRelationship(f"rel-self-{p.colleague}", p.colleague, p.client, Period(T0))

    with pytest.raises(NotFoundOrDenied):
        practice.add_relationship(deps, rel, by=p.colleague)

    assert _events(deps, "add_relationship", p.colleague) == [("deny", "deny.admin.role")]
    with pytest.raises(NotFoundOrDenied):
        _read(deps, p.colleague, p.client)
    # The privacy officer may assign the colleague; then the colleague reads.
    practice.add_relationship(deps, rel, by=p.officer)
    assert _read(deps, p.colleague, p.client) == 1


def test_an_outside_clinician_cannot_be_assigned_to_the_practices_client(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    rel = TreatmentRelationship(f"rel-out-{p.outsider}", p.outsider, p.client, Period(T0))
    with pytest.raises(NotFoundOrDenied):
        practice.add_relationship(deps, rel, by=p.officer)
    assert _events(deps, "add_relationship", p.officer)[-1] == (
        "deny",
        "deny.admin.not_a_clinician_of_the_practice",
    )


def test_unknown_people_change_nothing(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied):
        practice.create_client(deps, Client(f"{p.client}-x", p.home), by=f"nobody-{p.client}")
    with pytest.raises(NotFoundOrDenied):
        practice.add_actor(
            deps, Actor(f"po-{p.client}", Role.PRIVACY_OFFICER, p.home), by=p.clinician
        )
    with deps.engine.connect() as c:
        assert c.execute(select(t.clients).where(t.clients.c.id == f"{p.client}-x")).first() is None
        assert c.execute(select(t.actors).where(t.actors.c.id == f"po-{p.client}")).first() is None


def test_a_duplicate_id_is_a_conflict_not_a_database_error(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    with pytest.raises(Conflict, match="already on file"):
        practice.add_actor(deps, Actor(p.clinician, Role.CLINICIAN, p.home), by=p.officer)
    with pytest.raises(Conflict, match="already on file"):
        practice.create_client(deps, Client(p.client, p.home), by=p.clinician)
    with pytest.raises(Conflict, match="already on file"):
        practice.found_practice(
            deps,
            Organisation(p.home, "Again"),
            Actor(f"po2-{p.home}", Role.PRIVACY_OFFICER, p.home),
        )


def test_a_consent_cannot_probe_whether_someone_is_a_client(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    other_client = f"{p.client}-other"
    practice.create_client(deps, Client(other_client, p.home), by=p.clinician)

    def grant(recipient: str) -> str:
        consent = Consent(
            f"consent-{recipient}",
            p.client,
            recipient,
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(T0),
        )
        with pytest.raises(UnknownReference) as refused:
            consents.grant_consent(deps, consent, by=p.client)
        return str(refused.value)

    assert grant(other_client) == grant(f"never-on-file-{p.client}")


def test_erasure_waits_for_retention_and_then_makes_every_record_unreadable(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    kept = f"{p.client}-kept"
    practice.create_client(
        deps,
        Client(kept, p.home),
        by=p.clinician,
        retain_until=deps.clock.now() + timedelta(days=365 * 7),
    )
    with pytest.raises(ErasureRefused, match="must be kept until"):
        erasure.erase_client(deps, kept, by=p.officer)
    assert _events(deps, "erase_client", p.officer) == [
        ("permit", "admin.privacy_officer"),
        ("deny", "deny.admin.retention_period_runs"),
    ]

    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="x"
    )
    with pytest.raises(NotFoundOrDenied):
        erasure.erase_client(deps, p.client, by=p.clinician)
    assert _read(deps, p.clinician, p.client) == 1

    erasure.erase_client(deps, p.client, by=p.officer)

    with pytest.raises(DataKeyErased, match="erased"):
        _read(deps, p.clinician, p.client)
    with pytest.raises(Conflict, match="already erased"):
        erasure.erase_client(deps, p.client, by=p.officer)
    with deps.engine.connect() as c:  # nothing deleted: the sealed versions are still there
        kept_rows = c.execute(
            select(t.record_versions.c.record_id)
            .join(t.records, t.records.c.id == t.record_versions.c.record_id)
            .where(t.records.c.client_id == p.client)
        ).all()
    assert len(kept_rows) == 1


def test_admitting_a_client_opens_their_own_chain(deps: Deps, small_practice: Practice) -> None:
    with deps.engine.connect() as c:
        first = c.execute(
            select(t.audit_entries.c.seq, t.audit_entries.c.action, t.audit_entries.c.actor_id)
            .where(t.audit_entries.c.chain_id == small_practice.client)
            .order_by(t.audit_entries.c.seq)
            .limit(1)
        ).one()
    assert tuple(first) == (1, "create_client", small_practice.clinician)
