"""Records on SQLite and PostgreSQL: written sealed, read through the decision engine,
amended as new versions, and every access logged in the same transaction."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update

from confide.domain import Category, Consent, InvalidValue, Period, Purpose, UnknownReference
from confide.services import consents, records
from confide.services.deps import Deps
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.store import schema as t
from confide.store.schema import metadata
from confide.vault import IntegrityError
from tests.integration.conftest import T0, Practice

NOTE = "Synthetic note: the client practised a breathing exercise and slept better."


def _events(deps: Deps, **where: str) -> list[dict[str, object]]:
    query = select(t.audit_entries)
    for column, value in where.items():
        query = query.where(t.audit_entries.c[column] == value)
    with deps.engine.connect() as c:
        return [
            dict(r._mapping)
            for r in c.execute(
                query.order_by(
                    t.audit_entries.c.at, t.audit_entries.c.chain_id, t.audit_entries.c.seq
                )
            )
        ]


def test_migrations_create_exactly_the_schema_the_code_expects(deps: Deps) -> None:
    with deps.engine.connect() as c:
        diff = compare_metadata(
            MigrationContext.configure(c, opts={"compare_type": True}), metadata
        )
    assert diff == []


def test_a_treating_clinician_writes_and_reads_back_a_note(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    rid = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.PROGRESS_NOTE, text=NOTE
    )
    view = records.read_records(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.PROGRESS_NOTE}),
        purpose=Purpose.TREAT,
    )
    assert [(e.record_id, e.text, e.version) for e in view.entries] == [(rid, NOTE, 1)]
    writes = _events(deps, record_id=rid)
    assert [(e["action"], e["effect"], e["rule"]) for e in writes] == [
        ("write", "permit", "permit.treating_clinician")
    ]


def test_a_clinician_without_a_relationship_is_refused_and_the_refusal_is_logged(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
    )
    with pytest.raises(NotFoundOrDenied):
        records.read_records(
            deps,
            actor_id=p.colleague,
            client_id=p.client,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.TREAT,
        )
    with pytest.raises(NotFoundOrDenied):
        records.write_record(
            deps, actor_id=p.colleague, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
        )
    denials = _events(deps, actor_id=p.colleague)
    assert [(e["action"], e["effect"]) for e in denials] == [("read", "deny"), ("write", "deny")]


def test_a_refused_write_stores_nothing(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied):
        records.write_record(
            deps, actor_id=p.outsider, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
        )
    with deps.engine.connect() as c:
        count = c.execute(
            select(func.count()).select_from(t.records).where(t.records.c.client_id == p.client)
        ).scalar_one()
    assert count == 0


def test_an_unknown_client_and_a_forbidden_one_look_the_same(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied) as unknown:
        records.read_records(
            deps,
            actor_id=p.outsider,
            client_id="client-nobody",
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.COC,
        )
    with pytest.raises(NotFoundOrDenied) as forbidden:
        records.read_records(
            deps,
            actor_id=p.outsider,
            client_id=p.client,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.COC,
        )
    assert str(unknown.value) == str(forbidden.value)


def test_consent_opens_exactly_its_categories_and_revocation_closes_them(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    for category in (Category.DIAGNOSIS, Category.PROGRESS_NOTE):
        records.write_record(
            deps,
            actor_id=p.clinician,
            client_id=p.client,
            category=category,
            text=f"{NOTE} ({category.value})",
        )
    consent = consents.grant_consent(
        deps,
        Consent(
            f"consent-{p.client}",
            p.client,
            p.other,
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(T0),
        ),
        by=p.client,
    )
    ask = frozenset({Category.DIAGNOSIS, Category.PROGRESS_NOTE})
    view = records.read_records(
        deps, actor_id=p.outsider, client_id=p.client, categories=ask, purpose=Purpose.COC
    )
    assert [e.category for e in view.entries] == [Category.DIAGNOSIS]
    assert view.withheld == {Category.PROGRESS_NOTE}
    consents.revoke_consent(deps, consent.id, by=p.client)
    with pytest.raises(NotFoundOrDenied):
        records.read_records(
            deps, actor_id=p.outsider, client_id=p.client, categories=ask, purpose=Purpose.COC
        )
    with pytest.raises(Conflict):
        consents.revoke_consent(deps, consent.id, by=p.client)


def test_only_the_client_may_grant_their_consent(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    consent = Consent(
        f"consent-x-{p.client}",
        p.client,
        p.other,
        frozenset({Category.DIAGNOSIS}),
        frozenset({Purpose.COC}),
        Period(T0),
    )
    with pytest.raises(NotFoundOrDenied):
        consents.grant_consent(deps, consent, by=p.clinician)


def test_a_consent_to_an_unknown_recipient_is_refused_naming_the_field(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    consent = Consent(
        f"consent-u-{p.client}",
        p.client,
        "nobody-here",
        frozenset({Category.DIAGNOSIS}),
        frozenset({Purpose.COC}),
        Period(T0),
    )
    with pytest.raises(UnknownReference) as caught:
        consents.grant_consent(deps, consent, by=p.client)
    assert caught.value.field == "consent.recipient_id"


def test_narrowing_replaces_the_consent_atomically(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    wide = consents.grant_consent(
        deps,
        Consent(
            f"consent-w-{p.client}",
            p.client,
            p.other,
            frozenset({Category.DIAGNOSIS, Category.MEDICATION}),
            frozenset({Purpose.COC}),
            Period(T0),
        ),
        by=p.client,
    )
    narrow = consents.narrow_consent(
        deps, wide.id, by=p.client, categories=frozenset({Category.MEDICATION})
    )
    with deps.engine.connect() as c:
        rows = {
            r.id: r for r in c.execute(select(t.consents).where(t.consents.c.client_id == p.client))
        }
    assert rows[wide.id].revoked_at is not None
    assert rows[narrow.id].replaces_id == wide.id
    assert rows[narrow.id].categories == "medication"
    with pytest.raises(Conflict):
        consents.narrow_consent(
            deps, narrow.id, by=p.client, categories=frozenset({Category.DIAGNOSIS})
        )


def test_an_amendment_is_a_new_version_and_the_old_one_is_kept(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    rid = records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.TREATMENT_PLAN,
        text="first plan",
    )
    assert (
        records.amend_record(deps, actor_id=p.clinician, record_id=rid, text="corrected plan") == 2
    )
    view = records.read_records(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.TREATMENT_PLAN}),
        purpose=Purpose.TREAT,
    )
    assert [(e.text, e.version) for e in view.entries] == [("corrected plan", 2)]
    with deps.engine.connect() as c:
        versions = (
            c.execute(
                select(t.record_versions.c.version).where(t.record_versions.c.record_id == rid)
            )
            .scalars()
            .all()
        )
    assert sorted(versions) == [1, 2]


def test_psychotherapy_notes_are_stored_apart_and_shown_only_to_their_author(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    rid = records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.PSYCHOTHERAPY_NOTE,
        text="process note",
    )
    with deps.engine.connect() as c:
        in_records = c.execute(select(t.records.c.id).where(t.records.c.id == rid)).first()
        apart = c.execute(
            select(t.psychotherapy_notes.c.id).where(t.psychotherapy_notes.c.id == rid)
        ).first()
    assert in_records is None
    assert apart is not None
    own = records.read_records(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.PSYCHOTHERAPY_NOTE}),
        purpose=Purpose.TREAT,
    )
    assert [e.text for e in own.entries] == ["process note"]


def test_an_empty_or_oversized_note_is_refused_naming_the_field(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    for bad in ("   ", "x" * (records.MAX_TEXT_BYTES + 1)):
        with pytest.raises(records.InvalidValue) as caught:
            records.write_record(
                deps,
                actor_id=p.clinician,
                client_id=p.client,
                category=Category.DIAGNOSIS,
                text=bad,
            )
        assert caught.value.field == "text"


@pytest.mark.parametrize("tamper", ["flip a byte", "copy from another record"])
def test_tampered_ciphertext_fails_its_integrity_check_and_returns_nothing(
    deps: Deps, small_practice: Practice, tamper: str
) -> None:
    p = small_practice
    victim = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="victim"
    )
    donor = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text="donor"
    )
    with deps.engine.begin() as c:
        rows = {r.record_id: r.ciphertext for r in c.execute(select(t.record_versions))}
        forged = (
            bytes([rows[victim][0]]) + bytes([rows[victim][1] ^ 1]) + rows[victim][2:]
            if tamper == "flip a byte"
            else rows[donor]
        )
        c.execute(
            update(t.record_versions)
            .where(t.record_versions.c.record_id == victim)
            .values(ciphertext=forged)
        )
    with pytest.raises(IntegrityError) as caught:
        records.read_records(
            deps,
            actor_id=p.clinician,
            client_id=p.client,
            categories=frozenset({Category.DIAGNOSIS}),
            purpose=Purpose.TREAT,
        )
    assert victim in str(caught.value)
    assert "donor" not in str(caught.value)
    # The read stays on record, and so does the integrity failure, as a security event.
    events = _events(deps, client_id=p.client, action="read")
    assert events[-2]["effect"] == "permit"
    assert (events[-1]["effect"], events[-1]["rule"], events[-1]["record_id"]) == (
        "error",
        "security.integrity",
        victim,
    )


def test_a_failing_access_log_leaves_no_record_behind(deps: Deps, small_practice: Practice) -> None:
    class BrokenLog:
        def append(self, connection: object, event: object) -> None:
            raise RuntimeError("access log unavailable")

    p = small_practice
    broken = dataclasses.replace(deps, access_log=BrokenLog())
    with pytest.raises(RuntimeError):
        records.write_record(
            broken, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
        )
    with deps.engine.connect() as c:
        assert (
            c.execute(
                select(func.count()).select_from(t.records).where(t.records.c.client_id == p.client)
            ).scalar_one()
            == 0
        )


def test_a_refused_consent_change_is_logged(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    consent = consents.grant_consent(
        deps,
        Consent(
            f"consent-r-{p.client}",
            p.client,
            p.other,
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(T0),
        ),
        by=p.client,
    )
    with pytest.raises(NotFoundOrDenied):
        consents.revoke_consent(deps, consent.id, by=p.outsider)
    refused = _events(deps, actor_id=p.outsider)
    assert [(e["action"], e["effect"], e["rule"]) for e in refused] == [
        ("revoke_consent", "deny", "deny.not_the_consenter")
    ]


def test_a_consent_note_is_refused_rather_than_silently_dropped(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    with_note = Consent(
        f"consent-n-{p.client}",
        p.client,
        p.other,
        frozenset({Category.DIAGNOSIS}),
        frozenset({Purpose.COC}),
        Period(T0),
        note="synthetic note",
    )
    with pytest.raises(InvalidValue) as caught:
        consents.grant_consent(deps, with_note, by=p.client)
    assert caught.value.field == "consent.note"


def test_a_rotation_in_flight_never_restores_an_erased_key(
    deps: Deps, small_practice: Practice
) -> None:
    from datetime import UTC, datetime

    from confide.store.keys_repository import KeysRepository
    from confide.vault import erase_data_key

    p = small_practice
    with deps.engine.begin() as c:
        stale = KeysRepository(c).get(p.client)
    assert stale is not None
    with deps.engine.begin() as c:
        erased = erase_data_key(stale, retain_until=None, now=datetime(2026, 6, 1, tzinfo=UTC))
        assert KeysRepository(c).replace(stale, erased)
    with deps.engine.begin() as c:
        assert not KeysRepository(c).replace(stale, stale)  # the rotation's swap fails
        now_stored = KeysRepository(c).get(p.client)
    assert now_stored is not None
    assert now_stored.is_erased


def test_read_events_name_what_was_permitted_and_which_records_were_returned(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    note = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
    )
    consents.grant_consent(
        deps,
        Consent(
            f"consent-{p.client}",
            p.client,
            p.other,
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(T0),
        ),
        by=p.client,
    )
    records.read_records(
        deps,
        actor_id=p.outsider,
        client_id=p.client,
        categories=frozenset({Category.DIAGNOSIS, Category.PROGRESS_NOTE}),
        purpose=Purpose.COC,
    )
    read = _events(deps, client_id=p.client, action="read")[-1]
    assert read["categories"] == "diagnosis,progress_note"
    assert read["permitted"] == "diagnosis"  # asked for two, permitted one
    assert read["record_ids"] == note
    write = _events(deps, client_id=p.client, action="write")[-1]
    assert (write["record_id"], write["permitted"]) == (note, "diagnosis")


def test_racing_amendments_never_lose_a_version_and_the_losers_get_a_conflict(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    note = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
    )
    start = threading.Barrier(8)
    outcomes: list[int | str] = []

    def amend(n: int) -> None:
        start.wait()
        try:
            outcomes.append(
                records.amend_record(deps, actor_id=p.clinician, record_id=note, text=f"v{n}")
            )
        except Conflict as lost:
            outcomes.append(str(lost))

    threads = [threading.Thread(target=amend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    versions = sorted(o for o in outcomes if isinstance(o, int))
    conflicts = [o for o in outcomes if isinstance(o, str)]
    assert len(outcomes) == 8
    assert versions == list(range(2, 2 + len(versions)))  # no gaps, no duplicates
    assert all("read it again and retry" in c for c in conflicts)
    with deps.engine.connect() as c:
        stored = c.execute(
            select(func.count())
            .select_from(t.record_versions)
            .where(t.record_versions.c.record_id == note)
        ).scalar_one()
    assert stored == 1 + len(versions)
    faults = [e for e in _events(deps, record_id=note) if e["effect"] == "error"]
    assert [e["rule"] for e in faults] == ["write.conflict"] * len(conflicts)


def test_a_write_that_fails_after_its_decision_says_so_in_the_log(
    deps: Deps, small_practice: Practice
) -> None:
    class BrokenVault:
        def seal(self, *args: object) -> bytes:
            raise OSError("the key service is unreachable")

    p = small_practice
    broken = dataclasses.replace(deps, vault=BrokenVault())
    with pytest.raises(OSError, match="unreachable"):
        records.write_record(
            broken, actor_id=p.clinician, client_id=p.client, category=Category.DIAGNOSIS, text=NOTE
        )
    events = _events(deps, client_id=p.client, action="write")
    assert [(e["effect"], e["rule"]) for e in events] == [("error", "write.failed")]
