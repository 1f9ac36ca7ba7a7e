"""The audit status a practice's people see: the whole log is verified, but a broken chain of
another practice is counted, never named (a chain's id is a client's id)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import update

from confide.audit.signing import SigningKey
from confide.domain import Actor, Category, Client, Organisation, Period, Role
from confide.domain import TreatmentRelationship as Rel
from confide.services import practice, records
from confide.services.audit_status import audit_status
from confide.services.deps import Deps
from confide.store import schema as t
from tests.integration.test_audit_tamper import as_owner

pytestmark = pytest.mark.whole_database


def _practice(deps: Deps, tag: str) -> tuple[str, str]:
    """A practice with one client and one note; (its privacy officer, its client)."""
    org, officer, clinician, client = (f"{k}-{tag}" for k in ("org", "po", "clin", "client"))
    practice.found_practice(
        deps, Organisation(org, "Practice"), Actor(officer, Role.PRIVACY_OFFICER, org)
    )
    practice.add_actor(deps, Actor(clinician, Role.CLINICIAN, org), by=officer)
    practice.create_client(deps, Client(client, org), by=officer)
    start = deps.clock.now()
    practice.add_relationship(deps, Rel(f"rel-{tag}", clinician, client, Period(start)), by=officer)
    records.write_record(
        deps, actor_id=clinician, client_id=client, category=Category.DIAGNOSIS, text="x"
    )
    return officer, client


def test_another_practices_broken_chain_is_counted_not_named(deps: Deps) -> None:
    key = SigningKey.generate()
    home_officer, home_client = _practice(deps, secrets.token_hex(3))
    other_officer, other_client = _practice(deps, secrets.token_hex(3))
    intact = audit_status(deps, key.public_key, by=home_officer)
    assert intact.intact
    assert intact.problems == []

    with as_owner(deps) as c:
        c.execute(
            update(t.audit_entries)
            .where(t.audit_entries.c.chain_id == other_client, t.audit_entries.c.seq == 1)
            .values(effect="deny")
        )

    seen_home = audit_status(deps, key.public_key, by=home_officer)
    assert not seen_home.intact  # the server's log is broken, and this practice is told so
    assert seen_home.breaks_elsewhere == 1
    assert not any(other_client in line for line in seen_home.problems)
    assert "1 broken chain(s) of other practices" in seen_home.problems[-1]

    seen_other = audit_status(deps, key.public_key, by=other_officer)
    assert not seen_other.intact
    assert seen_other.breaks_elsewhere == 0
    assert any(other_client in line for line in seen_other.problems)
    assert not any(home_client in line for line in seen_other.problems)
