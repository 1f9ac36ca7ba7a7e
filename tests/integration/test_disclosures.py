"""The limits of confidentiality carried through end to end on SQLite and PostgreSQL: each
workflow's steps, its refusals (audited, nothing disclosed), the package holding exactly what
the engine permits, the client's accounting, and the privacy officer's queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DatabaseError

from confide.domain import Category, InvalidValue, Period
from confide.domain.disclosures import (
    DisclosureState,
    LegalProcess,
    ProcessKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.policy.disclosure_rules import DisclosureRefused
from confide.services import disclosures, history, records
from confide.services.deps import Deps
from confide.services.disclosures import DisclosureAsk
from confide.services.errors import NotFoundOrDenied
from confide.services.history import Suspension
from confide.services.rule_packs import installed_pack
from confide.services.suspensions import record_suspension
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.vault import IntegrityError
from tests.integration.conftest import T0, StepClock
from tests.integration.disclosure_cast import (
    DEMO,
    DIAG,
    JUSTIFICATION,
    NOTE,
    PSY,
    RISK,
    SUD,
    Cast,
    pdf_text,
    warn_ask,
)


def _chain_rules(deps: Deps, client_id: str) -> list[tuple[str, str, str]]:
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_entries.c.action, t.audit_entries.c.effect, t.audit_entries.c.rule)
            .where(t.audit_entries.c.chain_id == client_id)
            .order_by(t.audit_entries.c.seq)
        )
        return [(r.action, r.effect, r.rule) for r in rows]


def test_duty_to_warn_end_to_end_discloses_only_the_minimum_and_the_client_sees_it(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    assert opened.state is DisclosureState.DRAFT
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    approved = disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    assert (approved.state, approved.decided_by) == (DisclosureState.APPROVED, cast.supervisor)

    done, package = disclosures.disclose(deps, opened.id, by=p.clinician)

    assert done.state is DisclosureState.DISCLOSED
    assert done.package_sha256 == package.sha256
    text = pdf_text(package.pdf)
    assert RISK in text
    assert DEMO in text
    for absent in (NOTE, PSY, DIAG, JUSTIFICATION):
        assert absent not in text
    assert b"blue bicycle" not in package.fhir_json  # the FHIR text is base64, never plain
    accounting = history.accounting_of_disclosures(deps, client_id=p.client, by=p.client)
    shown = [d for d in accounting.disclosures if d.recipient_id == cast.police]
    assert len(shown) == 1
    assert set(shown[0].categories) == {Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}
    assert "164.512" in shown[0].ground
    told = disclosures.record_client_told(deps, opened.id, by=p.officer)
    assert told.state is DisclosureState.CLIENT_NOTIFIED
    steps = [a for a, e, _ in _chain_rules(deps, p.client) if a.startswith("disclos")]
    assert steps == [
        "disclosure_open",
        "disclosure_submit",
        "disclosure_approve",
        "disclose",
        "disclosure_disclose",
        "disclosure_client_told",
    ]


def test_the_package_digest_is_on_the_audit_entry(deps: Deps, cast: Cast) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    _, package = disclosures.disclose(deps, opened.id, by=p.clinician)
    with deps.engine.connect() as conn:
        reasons = conn.execute(
            select(t.audit_entries.c.reasons).where(
                t.audit_entries.c.chain_id == p.client, t.audit_entries.c.action == "disclose"
            )
        ).scalar_one()
    assert f"pdf=sha256:{package.pdf_sha256}" in reasons
    assert f"fhir=sha256:{package.fhir_sha256}" in reasons


def test_an_approver_cannot_approve_their_own_request_and_the_attempt_is_audited(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    court = _court_order(deps, cast, frozenset({Category.DIAGNOSIS}))
    disclosures.submit_request(deps, court.id, by=p.officer)

    with pytest.raises(DisclosureRefused) as refused:
        disclosures.approve_request(deps, court.id, by=p.officer)

    assert refused.value.field == "approval.approver_id"
    assert ("disclosure_approve", "deny", "deny.disclosure.approval.approver_id") in _chain_rules(
        deps, p.client
    )
    assert disclosures.view_request(deps, court.id, by=p.officer).state is (
        DisclosureState.SUBMITTED
    )


def test_a_clinician_not_involved_may_not_approve_nor_learn_the_request_exists(
    deps: Deps, cast: Cast
) -> None:
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    disclosures.submit_request(deps, opened.id, by=cast.p.clinician)
    # The same answer as for a request that does not exist: no state or rule is named.
    with pytest.raises(NotFoundOrDenied):
        disclosures.approve_request(deps, opened.id, by=cast.p.colleague)
    with pytest.raises(NotFoundOrDenied):
        disclosures.approve_request(deps, "disc-does-not-exist", by=cast.p.colleague)


def test_a_scope_beyond_the_minimum_necessary_is_refused_at_opening_and_nothing_is_stored(
    deps: Deps, cast: Cast
) -> None:
    wide = warn_ask(cast, categories=frozenset({Category.RISK_ASSESSMENT, Category.PROGRESS_NOTE}))
    with pytest.raises(DisclosureRefused, match="progress notes") as refused:
        disclosures.open_request(deps, wide, by=cast.p.clinician)
    assert refused.value.field == "disclosure.categories"
    with deps.engine.connect() as conn:
        stored = conn.execute(
            select(t.disclosure_requests).where(t.disclosure_requests.c.client_id == cast.p.client)
        ).all()
    assert stored == []
    assert ("disclosure_open", "deny", "deny.disclosure.disclosure.categories") in _chain_rules(
        deps, cast.p.client
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"justification": "  "}, "disclosure.justification"),
        ({"ground": "gossip"}, "disclosure.ground"),
        ({"categories": frozenset()}, "disclosure.categories"),
        ({"recipient_kind": "court"}, "disclosure.recipient_kind"),
    ],
)
def test_bad_input_names_the_field_discloses_nothing_and_is_audited(
    deps: Deps, cast: Cast, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        disclosures.open_request(deps, warn_ask(cast, **changes), by=cast.p.clinician)
    assert refused.value.field == field
    assert _chain_rules(deps, cast.p.client)[-1] == (
        "disclosure_open",
        "deny",
        f"deny.disclosure.{field}",
    )


def test_someone_of_another_practice_gets_the_not_found_answer(deps: Deps, cast: Cast) -> None:
    with pytest.raises(NotFoundOrDenied):
        disclosures.open_request(deps, warn_ask(cast), by=cast.p.outsider)
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    with pytest.raises(NotFoundOrDenied):
        disclosures.view_request(deps, opened.id, by=cast.p.outsider)
    with pytest.raises(NotFoundOrDenied):
        disclosures.view_request(deps, "disc-doesnotexist", by=cast.p.outsider)


def _court_order(
    deps: Deps,
    cast: Cast,
    categories: frozenset[Category],
    *,
    named: frozenset[Category] = frozenset({Category.DIAGNOSIS}),
    kind: ProcessKind = ProcessKind.COURT_ORDER,
    part2_findings: bool = False,
) -> disclosures.DisclosureRequest:
    process = LegalProcess(
        part2_findings=part2_findings,
        kind=kind,
        court="Synthetic County Court",
        case_number="SYN-0001",
        issued_on=date(2026, 2, 20),
        issued_by="Judge Placeholder",
        scope="diagnoses only",
        categories=named,
    )
    ask = DisclosureAsk(
        client_id=cast.p.client,
        ground="court_order",
        recipient_id=cast.clerk,
        recipient_kind="court",
        categories=categories,
        justification="Synthetic: order served on the practice.",
        legal_process=process,
    )
    return disclosures.open_request(deps, ask, by=cast.p.officer)


def test_a_court_order_whose_scope_excludes_psychotherapy_notes_releases_only_its_scope(
    deps: Deps, cast: Cast
) -> None:
    with pytest.raises(DisclosureRefused, match="not in the order's scope"):
        _court_order(deps, cast, frozenset({Category.DIAGNOSIS, Category.PSYCHOTHERAPY_NOTE}))
    order = _court_order(deps, cast, frozenset({Category.DIAGNOSIS}))
    disclosures.submit_request(deps, order.id, by=cast.p.officer)
    disclosures.approve_request(deps, order.id, by=cast.supervisor)

    _, package = disclosures.disclose(deps, order.id, by=cast.p.officer)

    text = pdf_text(package.pdf)
    assert DIAG in text
    for absent in (PSY, NOTE, RISK, DEMO):
        assert absent not in text
    assert "Synthetic County Court" in text


def test_a_subpoena_is_not_enough_for_psychotherapy_notes(deps: Deps, cast: Cast) -> None:
    notes = frozenset({Category.PSYCHOTHERAPY_NOTE})
    with pytest.raises(DisclosureRefused, match="subpoena") as refused:
        _court_order(deps, cast, notes, named=notes, kind=ProcessKind.SUBPOENA)
    assert refused.value.field == "disclosure.categories"


def test_an_abuse_report_past_its_deadline_is_flagged_to_the_privacy_officer(
    deps: Deps, cast: Cast
) -> None:
    deps = replace(deps, rules=installed_pack("us-ca"))
    clock = deps.clock
    assert isinstance(clock, StepClock)
    ask = DisclosureAsk(
        client_id=cast.p.client,
        ground="abuse_neglect",
        recipient_id=cast.agency,
        recipient_kind="child_protective_agency",
        categories=frozenset({Category.PROGRESS_NOTE}),
        justification="Synthetic: facts supporting a suspicion.",
        victim_kind="child",
        suspected_at=clock.current,
    )
    report = disclosures.open_request(deps, ask, by=cast.p.colleague)
    queue = disclosures.work_queue(deps, by=cast.p.officer)
    (item,) = [i for i in queue if i.request.id == report.id]
    assert item.flags == ("report_due",)
    assert item.deadline == report.suspected_at + timedelta(hours=36)

    clock.current += timedelta(hours=37)

    (item,) = [
        i for i in disclosures.work_queue(deps, by=cast.p.officer) if i.request.id == report.id
    ]
    assert item.flags == ("report_overdue",)
    with pytest.raises(NotFoundOrDenied):
        disclosures.work_queue(deps, by=cast.p.clinician)


def test_break_the_glass_discloses_at_once_and_owes_a_review(deps: Deps, cast: Cast) -> None:
    p = cast.p
    clock = deps.clock
    assert isinstance(clock, StepClock)
    done, package = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    assert (done.state, done.emergency) == (DisclosureState.DISCLOSED, True)
    assert RISK in pdf_text(package.pdf)
    (item,) = [i for i in disclosures.work_queue(deps, by=p.officer) if i.request.id == done.id]
    assert "review_due" in item.flags

    clock.current += timedelta(hours=25)
    (item,) = [i for i in disclosures.work_queue(deps, by=p.officer) if i.request.id == done.id]
    assert "review_overdue" in item.flags
    with pytest.raises(DisclosureRefused):
        disclosures.review_emergency(
            deps, done.id, by=p.clinician, outcome="upheld", note="Synthetic: own review."
        )
    reviewed = disclosures.review_emergency(
        deps, done.id, by=cast.supervisor, outcome=ReviewOutcome.UPHELD, note="Synthetic: fine."
    )
    assert reviewed.reviewed_by == cast.supervisor
    accounting = history.accounting_of_disclosures(deps, client_id=p.client, by=p.officer)
    assert any("break-the-glass" in d.ground for d in accounting.disclosures)


def test_withholding_notice_needs_a_reason_and_a_review_date(deps: Deps, cast: Cast) -> None:
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=cast.p.clinician)
    with pytest.raises(DisclosureRefused) as refused:
        disclosures.withhold_notice(
            deps, done.id, by=cast.p.officer, reason="order_forbids", review_on=date(2026, 4, 1)
        )
    assert refused.value.field == "notification.reason"
    withheld = disclosures.withhold_notice(
        deps,
        done.id,
        by=cast.p.officer,
        reason=WithholdReason.RISK_TO_OTHERS,
        review_on=date(2026, 4, 1),
    )
    assert withheld.state is DisclosureState.NOTIFICATION_WITHHELD
    assert withheld.withheld_reason is WithholdReason.RISK_TO_OTHERS


def test_texas_allows_no_warning_straight_to_the_person_threatened(deps: Deps, cast: Cast) -> None:
    victim = warn_ask(cast, recipient_kind="potential_victim")
    texas = replace(deps, rules=installed_pack("us-tx"))
    with pytest.raises(DisclosureRefused, match=r"611\.004"):
        disclosures.open_request(texas, victim, by=cast.p.clinician)
    california = replace(deps, rules=installed_pack("us-ca"))
    assert disclosures.open_request(california, victim, by=cast.p.clinician).state is (
        DisclosureState.DRAFT
    )


def test_the_justification_is_sealed_and_a_tampered_seal_is_refused(deps: Deps, cast: Cast) -> None:
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    other = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    with deps.engine.begin() as conn:
        sealed = conn.execute(
            select(t.disclosure_requests.c.sealed_details).where(
                t.disclosure_requests.c.id == opened.id
            )
        ).scalar_one()
        assert JUSTIFICATION.encode() not in bytes(sealed)
        conn.execute(
            update(t.disclosure_requests)
            .where(t.disclosure_requests.c.id == other.id)
            .values(sealed_details=sealed)
        )
    with pytest.raises(IntegrityError):
        disclosures.view_request(deps, other.id, by=cast.p.clinician)


def test_an_approval_lapses_and_a_second_disclosure_is_refused(deps: Deps, cast: Cast) -> None:
    p = cast.p
    clock = deps.clock
    assert isinstance(clock, StepClock)
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    clock.current += timedelta(days=31)
    with pytest.raises(DisclosureRefused, match="lapsed"):
        disclosures.disclose(deps, opened.id, by=p.clinician)


@pytest.mark.parametrize(
    "period",
    [
        Period(T0 + timedelta(days=400)),  # starts in the future
        Period(T0 - timedelta(days=400), T0 - timedelta(days=300)),  # ends before admission
    ],
    ids=["future", "before-admission"],
)
def test_dates_outside_the_record_are_refused_naming_the_field(
    deps: Deps, cast: Cast, period: Period
) -> None:
    with pytest.raises(DisclosureRefused) as refused:
        disclosures.open_request(deps, warn_ask(cast, records_period=period), by=cast.p.clinician)
    assert refused.value.field == "disclosure.records_period"
    assert _chain_rules(deps, cast.p.client)[-1][2] == "deny.disclosure.disclosure.records_period"


def test_a_records_period_keeps_later_entries_out_of_the_package(deps: Deps, cast: Cast) -> None:
    clock = deps.clock
    assert isinstance(clock, StepClock)
    cutoff = clock.now()
    later = "Synthetic risk line written after the period."
    records.write_record(
        deps,
        actor_id=cast.p.clinician,
        client_id=cast.p.client,
        category=Category.RISK_ASSESSMENT,
        text=later,
    )
    ask = warn_ask(cast, records_period=Period(T0, cutoff))
    opened = disclosures.open_request(deps, ask, by=cast.p.clinician)
    disclosures.submit_request(deps, opened.id, by=cast.p.clinician)
    disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    _, package = disclosures.disclose(deps, opened.id, by=cast.p.clinician)
    text = pdf_text(package.pdf)
    assert RISK in text
    assert later not in text


def test_a_stored_suspension_holds_a_disclosure_back_and_hides_itself_from_the_client(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    disclosures.record_client_told(deps, done.id, by=p.officer)
    now = deps.clock.now()
    suspension = Suspension(cast.police, now, now + timedelta(days=60))
    with pytest.raises(NotFoundOrDenied):
        record_suspension(deps, p.client, suspension, by=p.clinician)

    record_suspension(deps, p.client, suspension, by=p.officer)

    accounting = history.accounting_of_disclosures(deps, client_id=p.client, by=p.client)
    assert accounting.withheld
    assert cast.police not in {d.recipient_id for d in accounting.disclosures}
    own = history.access_history(deps, client_id=p.client, by=p.client)
    assert "suspend_accounting" not in {e.action for e in own.entries}
    officer = history.access_history(deps, client_id=p.client, by=p.officer)
    assert "suspend_accounting" in {e.action for e in officer.entries}
    later = history.accounting_of_disclosures(
        deps, client_id=p.client, by=p.client, now=now + timedelta(days=61)
    )
    assert cast.police in {d.recipient_id for d in later.disclosures}


def test_the_client_sees_a_disclosure_in_their_history_only_once_told(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)

    def own_actions() -> set[str]:
        seen = history.access_history(deps, client_id=p.client, by=p.client).entries
        return {e.action for e in seen}

    assert not {a for a in own_actions() if a.startswith("disclos")}
    disclosures.record_client_told(deps, done.id, by=p.officer)
    assert {"disclose", "disclosure_break_glass"} <= own_actions()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_workflow_runs_as_confide_app_which_cannot_delete_a_request(
    deps: Deps, cast: Cast, database_url: str
) -> None:
    app_engine = make_engine(database_url, role="confide_app")
    app = replace(deps, engine=app_engine)
    try:
        opened = disclosures.open_request(app, warn_ask(cast), by=cast.p.clinician)
        disclosures.submit_request(app, opened.id, by=cast.p.clinician)
        disclosures.approve_request(app, opened.id, by=cast.supervisor)
        disclosures.disclose(app, opened.id, by=cast.p.clinician)
        now = deps.clock.now()
        suspension = Suspension(cast.police, now, now + timedelta(days=5))
        record_suspension(app, cast.p.client, suspension, by=cast.p.officer)
        with app_engine.begin() as c:
            with pytest.raises(DatabaseError, match="permission denied"):
                c.execute(
                    delete(t.disclosure_requests).where(t.disclosure_requests.c.id == opened.id)
                )
            c.rollback()
    finally:
        app_engine.dispose()


def test_a_court_order_with_part2_findings_releases_substance_use_records_with_the_notice(
    deps: Deps, cast: Cast
) -> None:
    both = frozenset({Category.DIAGNOSIS, Category.SUBSTANCE_USE})
    order = _court_order(deps, cast, both, named=both, part2_findings=True)
    disclosures.submit_request(deps, order.id, by=cast.p.officer)
    disclosures.approve_request(deps, order.id, by=cast.supervisor)

    _, package = disclosures.disclose(deps, order.id, by=cast.p.officer)

    text = " ".join(pdf_text(package.pdf).split())
    assert SUD in text
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in text
    assert "42 CFR 2.64" in text
    assert text.count("164.512(e)(1)(i)") >= 1
    assert "164.512(e)(1)(i); HIPAA 45 CFR 164.512(e)(1)(i)" not in text


def test_a_record_written_after_the_approval_does_not_ride_along(deps: Deps, cast: Cast) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    added = "Synthetic risk line added after the approval."
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text=added,
    )
    _, package = disclosures.disclose(deps, opened.id, by=p.clinician)
    text = pdf_text(package.pdf)
    assert RISK in text
    assert added not in text


def test_the_clients_history_words_each_step_plainly(deps: Deps, cast: Cast) -> None:
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=cast.p.clinician)
    disclosures.record_client_told(deps, done.id, by=cast.p.officer)
    seen = history.access_history(deps, client_id=cast.p.client, by=cast.p.client).entries
    outcomes = {e.outcome for e in seen if e.action.startswith("disclosure_")}
    assert "allowed - the disclosure request is now: client notified" in outcomes
    assert not any(" - disclosure." in o for o in outcomes)
