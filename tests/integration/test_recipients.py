"""The recipients on file, as forms offer them: organisations and recipient-role people, never
a client or the practice's own people; listed for practice members and clients only, and
every listing on the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from confide.domain import Actor, Client, Organisation, Role
from confide.services import practice
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.services.recipients import recipients_on_file
from confide.store import schema as t


@dataclass(frozen=True)
class OnFile:
    """Ids unique to one test (the PostgreSQL database is shared)."""

    deps: Deps
    home: str
    officer: str
    court: str
    clinician: str
    clerk: str
    client: str


@pytest.fixture
def on_file(deps: Deps) -> OnFile:
    tag = secrets.token_hex(3)
    f = OnFile(
        deps, f"home-{tag}", f"po-{tag}", f"court-{tag}", f"clin-{tag}", f"clerk-{tag}",
        f"client-{tag}",
    )  # fmt: skip
    practice.found_practice(
        deps, Organisation(f.home, "Home practice"), Actor(f.officer, Role.PRIVACY_OFFICER, f.home)
    )
    practice.add_organisation(deps, Organisation(f.court, "County court"), by=f.officer)
    practice.add_actor(deps, Actor(f.clinician, Role.CLINICIAN, f.home), by=f.officer)
    practice.add_actor(deps, Actor(f.clerk, Role.RECIPIENT, f.court), by=f.officer)
    practice.create_client(deps, Client(f.client, f.home), by=f.officer)
    return f


def _audit_count(deps: Deps) -> int:
    with deps.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(t.audit_entries)).scalar_one())


def test_a_clinician_sees_organisations_and_recipients_only(on_file: OnFile) -> None:
    f = on_file
    before = _audit_count(f.deps)
    listed = recipients_on_file(f.deps, by=f.clinician)
    ids = [r.id for r in listed]
    assert {f.home, f.court, f.clerk} <= set(ids)
    assert not {f.client, f.clinician, f.officer} & set(ids)  # no client, no practice member
    assert ids == sorted(ids)
    assert next(r for r in listed if r.id == f.clerk).label == f"{f.clerk} (County court)"
    assert _audit_count(f.deps) == before + 1


@pytest.mark.parametrize("who", ["clerk", "stranger"])
def test_a_recipient_or_a_stranger_is_refused_and_it_is_logged(on_file: OnFile, who: str) -> None:
    f = on_file
    by = f.clerk if who == "clerk" else "nobody-at-all"
    before = _audit_count(f.deps)
    with pytest.raises(NotFoundOrDenied):
        recipients_on_file(f.deps, by=by)
    assert _audit_count(f.deps) == before + 1
