"""Reading one record by id: decided for that record's category alone, logged with its id,
and refused alike whether the record is missing or forbidden."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from confide.domain import Category
from confide.services import records
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.store import schema as t
from tests.integration.conftest import Practice


def _last_entry(deps: Deps, actor_id: str) -> tuple[str, str, str]:
    with deps.engine.connect() as c:
        row = c.execute(
            select(
                t.audit_entries.c.categories, t.audit_entries.c.effect, t.audit_entries.c.record_id
            )
            .where(t.audit_entries.c.actor_id == actor_id)
            .order_by(t.audit_entries.c.at.desc(), t.audit_entries.c.seq.desc())
        ).first()
    assert row is not None
    return row.categories, row.effect, row.record_id


def test_the_treating_clinician_reads_the_one_record(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    plan = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.TREATMENT_PLAN,
        text="Synthetic plan, one entry.",
    )  # fmt: skip
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.SUBSTANCE_USE,
        text="Synthetic substance-use entry, never read here.",
    )  # fmt: skip
    owner, entry = records.read_record(deps, actor_id=p.clinician, record_id=plan)
    assert owner == p.client
    assert entry.text == "Synthetic plan, one entry."
    assert _last_entry(deps, p.clinician) == ("treatment_plan", "permit", plan)


@pytest.mark.parametrize("record", ["colleague's", "missing"])
def test_a_missing_or_forbidden_record_is_refused_alike_and_logged(
    deps: Deps, small_practice: Practice, record: str
) -> None:
    p = small_practice
    plan = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.TREATMENT_PLAN,
        text="Synthetic plan the colleague may not read.",
    )  # fmt: skip
    record_id = plan if record == "colleague's" else "rec-does-not-exist"
    with pytest.raises(NotFoundOrDenied):
        records.read_record(deps, actor_id=p.colleague, record_id=record_id)
    _categories, effect, logged_record = _last_entry(deps, p.colleague)
    assert (effect, logged_record) == ("deny", record_id)
