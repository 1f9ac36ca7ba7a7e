"""Hostile review of the exception-disclosure workflow (decision 0013), as executable attacks.

Every test asserts the secure behaviour: each is an attack that must be refused (or detected),
kept as a regression test. Among them: a row edited or restored behind confide's back, an
approval through an account made for the occasion, a recipient who is a colleague or another
client, a client tipped off about a report being prepared, free text in id fields reaching the
append-only log, and a mandated report withdrawn by someone else.

All text is synthetic. Runs on SQLite and PostgreSQL (the ``deps`` fixture).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from confide.domain import (
    Actor,
    Category,
    Client,
    InvalidValue,
    Organisation,
    Period,
    Role,
    TreatmentRelationship,
)
from confide.domain.disclosures import (
    Assurance,
    DisclosureRequest,
    DisclosureState,
    LegalProcess,
    ProcessKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.policy.disclosure_rules import DisclosureRefused
from confide.services import disclosures, erasure, history, practice, records
from confide.services.deps import Deps
from confide.services.disclosures import DisclosureAsk
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.rule_packs import installed_pack
from confide.store import schema as t
from confide.store.disclosures_repository import DisclosuresRepository
from confide.vault import DataKeyErased, IntegrityError
from tests.integration.conftest import StepClock
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

MARKER = "ZZMARKER-orchid-7731"  # free text that must never reach the audit tables

# What any refusal may raise: a rule's refusal (a subclass of InvalidValue), the
# not-found-or-denied answer, or a conflict.
REFUSALS = (InvalidValue, NotFoundOrDenied, Conflict)


# Helpers ------------------------------------------------------------------------------------


def _abuse(c: Cast, clock: StepClock, **changes: object) -> DisclosureAsk:
    ask = DisclosureAsk(
        client_id=c.p.client,
        ground="abuse_neglect",
        recipient_id=c.agency,
        recipient_kind="child_protective_agency",
        categories=frozenset({Category.PROGRESS_NOTE}),
        justification="Synthetic: facts supporting a suspicion.",
        victim_kind="child",
        suspected_at=clock.current,
    )
    return replace(ask, **changes)  # type: ignore[arg-type]


def _process(
    named: frozenset[Category],
    *,
    kind: ProcessKind = ProcessKind.COURT_ORDER,
    **changes: object,
) -> LegalProcess:
    process = LegalProcess(
        kind=kind,
        court="Synthetic County Court",
        case_number="SYN-0001",
        issued_on=date(2026, 2, 20),
        issued_by="Judge Placeholder",
        scope="as named",
        categories=named,
    )
    return replace(process, **changes)  # type: ignore[arg-type]


def _court_ask(c: Cast, categories: frozenset[Category], process: LegalProcess) -> DisclosureAsk:
    return DisclosureAsk(
        client_id=c.p.client,
        ground="court_order",
        recipient_id=c.clerk,
        recipient_kind="court",
        categories=categories,
        justification="Synthetic: order served on the practice.",
        legal_process=process,
    )


def _approved_warning(deps: Deps, c: Cast, **changes: object) -> DisclosureRequest:
    opened = disclosures.open_request(deps, warn_ask(c, **changes), by=c.p.clinician)
    disclosures.submit_request(deps, opened.id, by=c.p.clinician)
    return disclosures.approve_request(deps, opened.id, by=c.supervisor)


def _audit_count(deps: Deps) -> int:
    with deps.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.audit_entries)).scalar_one())


def _audit_text(deps: Deps) -> str:
    """Every text column of every audit entry, joined: to look for leaked free text."""
    cols = [c for c in t.audit_entries.c if c.name not in {"seq", "at", "prev_hash", "entry_hash"}]
    with deps.engine.connect() as conn:
        rows = conn.execute(select(*cols)).all()
    return "\n".join(" ".join(str(v) for v in r) for r in rows)


def _chain(deps: Deps, client_id: str) -> list[tuple[str, str, str, str]]:
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(
                t.audit_entries.c.action,
                t.audit_entries.c.effect,
                t.audit_entries.c.rule,
                t.audit_entries.c.actor_id,
            )
            .where(t.audit_entries.c.chain_id == client_id)
            .order_by(t.audit_entries.c.seq)
        )
        return [(r.action, r.effect, r.rule, r.actor_id) for r in rows]


def _row(deps: Deps, request_id: str) -> dict[str, Any]:
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(t.disclosure_requests).where(t.disclosure_requests.c.id == request_id)
        ).one()
    return dict(row._mapping)


def _set_row(deps: Deps, request_id: str, **values: object) -> None:
    with deps.engine.begin() as conn:
        conn.execute(
            update(t.disclosure_requests)
            .where(t.disclosure_requests.c.id == request_id)
            .values(**values)
        )


def _state(deps: Deps, request_id: str) -> str:
    return str(_row(deps, request_id)["state"])


def _second_client(deps: Deps, c: Cast) -> str:
    """Another client of the same practice, with a risk line of their own."""
    other = f"client2-{secrets.token_hex(3)}"
    practice.create_client(deps, Client(other, c.p.home), by=c.p.clinician)
    practice.add_relationship(
        deps,
        TreatmentRelationship(
            f"rel2-{secrets.token_hex(3)}", c.p.clinician, other, Period(deps.clock.now())
        ),
        by=c.p.officer,
    )
    records.write_record(
        deps,
        actor_id=c.p.clinician,
        client_id=other,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic other-client line: the red kite.",
    )
    return other


# 1. The second person ------------------------------------------------------------------------


def test_privacy_officer_cannot_approve_own_court_order_through_a_puppet_account(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    notes = frozenset({Category.PSYCHOTHERAPY_NOTE})
    order = disclosures.open_request(deps, _court_ask(cast, notes, _process(notes)), by=p.officer)
    disclosures.submit_request(deps, order.id, by=p.officer)
    puppet = f"sup-puppet-{secrets.token_hex(3)}"
    practice.add_actor(deps, Actor(puppet, Role.SUPERVISOR, p.home), by=p.officer)

    with pytest.raises(REFUSALS):
        disclosures.approve_request(deps, order.id, by=puppet)
    assert _state(deps, order.id) == DisclosureState.SUBMITTED.value


def test_a_treating_supervisor_cannot_approve_their_own_warning(deps: Deps, cast: Cast) -> None:
    p = cast.p
    practice.add_relationship(
        deps,
        TreatmentRelationship(
            f"rel-sup-{secrets.token_hex(3)}", cast.supervisor, p.client, Period(deps.clock.now())
        ),
        by=p.officer,
    )
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.supervisor)
    disclosures.submit_request(deps, opened.id, by=cast.supervisor)
    before = _audit_count(deps)
    with pytest.raises(DisclosureRefused) as refused:
        disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    assert refused.value.field == "approval.approver_id"
    assert _audit_count(deps) == before + 1
    assert _state(deps, opened.id) == DisclosureState.SUBMITTED.value


# The requester is refused by the rule; a colleague not involved does not learn the request
# exists (the not-found answer). Both refusals are audited.
@pytest.mark.parametrize(
    ("who", "refusal"), [("clinician", DisclosureRefused), ("colleague", NotFoundOrDenied)]
)
def test_clinicians_may_neither_approve_nor_reject(
    deps: Deps, cast: Cast, who: str, refusal: type[Exception]
) -> None:
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    disclosures.submit_request(deps, opened.id, by=cast.p.clinician)
    actor = getattr(cast.p, who)
    before = _audit_count(deps)
    with pytest.raises(refusal):
        disclosures.approve_request(deps, opened.id, by=actor)
    with pytest.raises(refusal):
        disclosures.reject_request(deps, opened.id, by=actor, reason="Synthetic: no.")
    assert _audit_count(deps) == before + 2
    assert _state(deps, opened.id) == DisclosureState.SUBMITTED.value


def test_abuse_reports_are_approved_only_by_the_privacy_officer(deps: Deps, cast: Cast) -> None:
    clock = deps.clock
    assert isinstance(clock, StepClock)
    report = disclosures.open_request(deps, _abuse(cast, clock), by=cast.p.colleague)
    disclosures.submit_request(deps, report.id, by=cast.p.colleague)
    with pytest.raises(DisclosureRefused, match="privacy officer"):
        disclosures.approve_request(deps, report.id, by=cast.supervisor)
    approved = disclosures.approve_request(deps, report.id, by=cast.p.officer)
    assert approved.decided_by == cast.p.officer


def test_two_approvals_of_one_request_cannot_both_land(deps: Deps, cast: Cast) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    submitted = disclosures.submit_request(deps, opened.id, by=p.clinician)
    disclosures.approve_request(deps, opened.id, by=cast.supervisor)
    with pytest.raises(DisclosureRefused, match="approved"):
        disclosures.approve_request(deps, opened.id, by=p.officer)
    # A writer that read the submitted revision cannot store its next revision over the approval.
    with deps.engine.begin() as conn:
        stale = replace(submitted, state=DisclosureState.REJECTED, revision=submitted.revision + 1)
        assert not DisclosuresRepository(conn).update(stale, b"x", submitted.revision)
    assert _row(deps, opened.id)["decided_by"] == cast.supervisor


# 2. Who may act at all ------------------------------------------------------------------------


def _other_practice_officer(deps: Deps) -> str:
    tag = secrets.token_hex(3)
    org, officer = f"far-{tag}", f"far-officer-{tag}"
    practice.found_practice(
        deps, Organisation(org, "Far practice"), Actor(officer, Role.PRIVACY_OFFICER, org)
    )
    return officer


@pytest.mark.parametrize("who", ["outsider", "other_officer", "police"])
@pytest.mark.parametrize(
    "step",
    ["view", "submit", "approve", "reject", "withdraw", "disclose", "review", "told", "withhold"],
)
def test_nobody_outside_the_practice_can_touch_a_request(
    deps: Deps, cast: Cast, who: str, step: str
) -> None:
    p = cast.p
    actor = {
        "outsider": p.outsider,
        "other_officer": _other_practice_officer(deps) if who == "other_officer" else "",
        "police": cast.police,
    }[who]
    if step in {"review", "told", "withhold"}:
        target, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    elif step in {"disclose"}:
        target = _approved_warning(deps, cast)
    elif step == "submit":
        target = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    else:
        target = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
        disclosures.submit_request(deps, target.id, by=p.clinician)
    before_row = _row(deps, target.id)
    before = _audit_count(deps)
    calls: dict[str, Callable[[], object]] = {
        "view": lambda: disclosures.view_request(deps, target.id, by=actor),
        "submit": lambda: disclosures.submit_request(deps, target.id, by=actor),
        "approve": lambda: disclosures.approve_request(deps, target.id, by=actor),
        "reject": lambda: disclosures.reject_request(deps, target.id, by=actor, reason="no"),
        "withdraw": lambda: disclosures.withdraw_request(deps, target.id, by=actor),
        "disclose": lambda: disclosures.disclose(deps, target.id, by=actor),
        "review": lambda: disclosures.review_emergency(
            deps, target.id, by=actor, outcome="upheld", note="Synthetic."
        ),
        "told": lambda: disclosures.record_client_told(deps, target.id, by=actor),
        "withhold": lambda: disclosures.withhold_notice(
            deps, target.id, by=actor, reason="risk_to_others", review_on=date(2026, 4, 1)
        ),
    }
    with pytest.raises(NotFoundOrDenied) as refused:
        calls[step]()
    assert str(refused.value) == str(NotFoundOrDenied())  # the same answer as for nothing
    assert _row(deps, target.id) == before_row
    assert _audit_count(deps) == before + 1
    assert _chain(deps, p.client)[-1][:2] == (f"disclosure_{_action(step)}", "deny")


def _action(step: str) -> str:
    return {
        "told": "client_told",
        "withhold": "notice_withheld",
    }.get(step, step)


def test_outsiders_cannot_open_or_break_the_glass(deps: Deps, cast: Cast) -> None:
    for by in (cast.p.outsider, cast.police, _other_practice_officer(deps)):
        with pytest.raises(NotFoundOrDenied):
            disclosures.open_request(deps, warn_ask(cast), by=by)
        with pytest.raises(NotFoundOrDenied):
            disclosures.break_the_glass(deps, warn_ask(cast), by=by)
    assert _row_count(deps, cast.p.client) == 0


def _row_count(deps: Deps, client_id: str) -> int:
    with deps.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.disclosure_requests)
                .where(t.disclosure_requests.c.client_id == client_id)
            ).scalar_one()
        )


def test_the_queue_shows_no_other_practices_requests(deps: Deps, cast: Cast) -> None:
    tag = secrets.token_hex(3)
    org, officer, clin, client = (f"far-{tag}", f"fo-{tag}", f"fc-{tag}", f"fcl-{tag}")
    practice.found_practice(
        deps, Organisation(org, "Far practice"), Actor(officer, Role.PRIVACY_OFFICER, org)
    )
    practice.add_actor(deps, Actor(clin, Role.CLINICIAN, org), by=officer)
    practice.create_client(deps, Client(client, org), by=clin)
    practice.add_relationship(
        deps,
        TreatmentRelationship(f"frel-{tag}", clin, client, Period(deps.clock.now())),
        by=officer,
    )
    far = disclosures.open_request(deps, warn_ask(cast, client_id=client), by=clin)
    disclosures.submit_request(deps, far.id, by=clin)
    home = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    disclosures.submit_request(deps, home.id, by=cast.p.clinician)

    ids = {i.request.id for i in disclosures.work_queue(deps, by=cast.p.officer)}
    assert home.id in ids
    assert far.id not in ids
    assert home.id not in {i.request.id for i in disclosures.work_queue(deps, by=officer)}


# 3. Releasing ----------------------------------------------------------------------------------


def test_a_package_is_released_once_and_never_after_rejection_or_withdrawal(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    approved = _approved_warning(deps, cast)
    disclosures.disclose(deps, approved.id, by=p.clinician)
    draft = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    submitted = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, submitted.id, by=p.clinician)
    rejected = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, rejected.id, by=p.clinician)
    disclosures.reject_request(deps, rejected.id, by=cast.supervisor, reason="Synthetic: no.")
    withdrawn = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.withdraw_request(deps, withdrawn.id, by=p.clinician)

    for request_id in (approved.id, draft.id, submitted.id, rejected.id, withdrawn.id):
        for by in (p.clinician, p.officer):
            before = _audit_count(deps)
            with pytest.raises(DisclosureRefused):
                disclosures.disclose(deps, request_id, by=by)
            assert _audit_count(deps) == before + 1
    disclosed = [a for a, e, _r, _b in _chain(deps, p.client) if a == "disclose" and e == "permit"]
    assert len(disclosed) == 1


def test_only_the_requester_or_the_privacy_officer_releases(deps: Deps, cast: Cast) -> None:
    approved = _approved_warning(deps, cast)
    refusals = (
        (cast.p.colleague, pytest.raises(NotFoundOrDenied)),
        (cast.supervisor, pytest.raises(DisclosureRefused, match="requester or the privacy")),
    )
    for by, refused in refusals:
        before = _audit_count(deps)
        with refused:
            disclosures.disclose(deps, approved.id, by=by)
        assert _audit_count(deps) == before + 1
    assert _state(deps, approved.id) == DisclosureState.APPROVED.value


def test_an_emergency_cannot_be_released_a_second_time(deps: Deps, cast: Cast) -> None:
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=cast.p.clinician)
    for by in (cast.p.clinician, cast.p.officer):
        with pytest.raises(DisclosureRefused):
            disclosures.disclose(deps, done.id, by=by)


def test_withdrawn_and_rejected_cannot_be_revived(deps: Deps, cast: Cast) -> None:
    p = cast.p
    w = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.withdraw_request(deps, w.id, by=p.officer)
    steps: tuple[Callable[[], object], ...] = (
        lambda: disclosures.submit_request(deps, w.id, by=p.clinician),
        lambda: disclosures.approve_request(deps, w.id, by=cast.supervisor),
        lambda: disclosures.withdraw_request(deps, w.id, by=p.clinician),
    )
    for step in steps:
        with pytest.raises(DisclosureRefused):
            step()
    approved = _approved_warning(deps, cast)
    with pytest.raises(DisclosureRefused):
        disclosures.withdraw_request(deps, approved.id, by=p.officer)
    with pytest.raises(DisclosureRefused):
        disclosures.reject_request(deps, approved.id, by=p.officer, reason="Synthetic: late.")


def test_the_package_holds_only_records_of_the_period_and_of_this_client(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    clock = deps.clock
    assert isinstance(clock, StepClock)
    other = _second_client(deps, cast)
    start = clock.current + timedelta(hours=1)
    end = start + timedelta(hours=1)
    clock.current = start - timedelta(seconds=1)  # the next record is dated exactly at the start
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic line AT-START.",
    )
    clock.current = start + timedelta(minutes=30)
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic line INSIDE.",
    )
    clock.current = end - timedelta(seconds=1)  # the next record is dated exactly at the end
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic line AT-END.",
    )
    clock.current = end + timedelta(hours=1)
    records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic line AFTER.",
    )
    approved = _approved_warning(deps, cast, records_period=Period(start, end))

    _, package = disclosures.disclose(deps, approved.id, by=p.clinician)

    text = pdf_text(package.pdf)
    assert "AT-START" in text
    assert "INSIDE" in text
    for absent in ("AT-END", "AFTER", RISK, DEMO, "red kite", NOTE, PSY):
        assert absent not in text
    assert other not in text


def test_a_record_from_before_the_period_is_not_released_because_it_was_corrected(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    clock = deps.clock
    assert isinstance(clock, StepClock)
    old = records.write_record(
        deps,
        actor_id=p.clinician,
        client_id=p.client,
        category=Category.RISK_ASSESSMENT,
        text="Synthetic line OLD-ORIGINAL.",
    )
    start = clock.current + timedelta(days=30)
    clock.current = start + timedelta(hours=1)
    records.amend_record(
        deps, actor_id=p.clinician, record_id=old, text="Synthetic line OLD-CORRECTED."
    )
    approved = _approved_warning(deps, cast, records_period=Period(start, None))

    _, package = disclosures.disclose(deps, approved.id, by=p.clinician)

    assert "OLD-CORRECTED" not in pdf_text(package.pdf)


# 4. Scope: the law's limits -------------------------------------------------------------------


_NOTES = frozenset({Category.PSYCHOTHERAPY_NOTE})
_SUD = frozenset({Category.SUBSTANCE_USE})
_DIAG = frozenset({Category.DIAGNOSIS})


@pytest.mark.parametrize(
    ("categories", "process", "field"),
    [
        (_NOTES, _process(_NOTES, kind=ProcessKind.SUBPOENA), "disclosure.categories"),
        (
            _NOTES,
            _process(
                _NOTES,
                kind=ProcessKind.SUBPOENA,
                assurance=Assurance.QUALIFIED_PROTECTIVE_ORDER,
            ),
            "disclosure.categories",
        ),
        (
            _SUD,
            _process(_SUD, kind=ProcessKind.SUBPOENA, part2_findings=True),
            "disclosure.categories",
        ),
        (_DIAG, _process(_DIAG, kind=ProcessKind.SUBPOENA), "legal_process.assurance"),
        (_SUD, _process(_SUD), "legal_process.part2_findings"),
        (_NOTES | _DIAG, _process(_DIAG), "disclosure.categories"),
    ],
)
def test_legal_process_cannot_reach_beyond_what_the_law_lets_it(
    deps: Deps,
    cast: Cast,
    categories: frozenset[Category],
    process: LegalProcess,
    field: str,
) -> None:
    before = _audit_count(deps)
    with pytest.raises(DisclosureRefused) as refused:
        disclosures.open_request(deps, _court_ask(cast, categories, process), by=cast.p.officer)
    assert refused.value.field == field
    assert _audit_count(deps) == before + 1
    assert _row_count(deps, cast.p.client) == 0


@pytest.mark.parametrize(
    ("ground", "categories"),
    [
        ("imminent_risk_others", _NOTES),
        ("imminent_risk_others", _SUD),
        ("imminent_risk_others", _DIAG),
        ("abuse_neglect", _NOTES),
        ("abuse_neglect", _SUD),
    ],
)
def test_risk_and_abuse_never_reach_notes_or_substance_use(
    deps: Deps, cast: Cast, ground: str, categories: frozenset[Category]
) -> None:
    clock = deps.clock
    assert isinstance(clock, StepClock)
    ask = warn_ask(cast, categories=categories)
    if ground == "abuse_neglect":
        ask = _abuse(cast, clock, categories=categories)
    with pytest.raises(DisclosureRefused):
        disclosures.open_request(deps, ask, by=cast.p.clinician)
    with pytest.raises(DisclosureRefused):
        disclosures.break_the_glass(
            deps, warn_ask(cast, categories=categories), by=cast.p.clinician
        )


def test_a_substance_use_order_releases_with_the_redisclosure_notice(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    process = _process(_SUD, part2_findings=True)
    order = disclosures.open_request(deps, _court_ask(cast, _SUD, process), by=p.officer)
    disclosures.submit_request(deps, order.id, by=p.officer)
    disclosures.approve_request(deps, order.id, by=cast.supervisor)
    _, package = disclosures.disclose(deps, order.id, by=p.officer)
    text = pdf_text(package.pdf)
    assert SUD in text
    assert "42 CFR" in text
    for absent in (PSY, NOTE, RISK, DEMO, DIAG):
        assert absent not in text


def test_the_recipient_is_checked_again_at_approval(deps: Deps, cast: Cast) -> None:
    p = cast.p
    california = replace(deps, rules=installed_pack("us-ca"))
    texas = replace(deps, rules=installed_pack("us-tx"))
    opened = disclosures.open_request(
        california, warn_ask(cast, recipient_kind="potential_victim"), by=p.clinician
    )
    disclosures.submit_request(california, opened.id, by=p.clinician)
    with pytest.raises(DisclosureRefused):
        disclosures.approve_request(texas, opened.id, by=cast.supervisor)


def test_break_the_glass_cannot_send_to_another_client_dressed_as_police(
    deps: Deps, cast: Cast
) -> None:
    other = _second_client(deps, cast)
    with pytest.raises(REFUSALS):
        disclosures.break_the_glass(deps, warn_ask(cast, recipient_id=other), by=cast.p.clinician)


def test_a_warning_cannot_name_a_non_recipient_as_the_police(deps: Deps, cast: Cast) -> None:
    with pytest.raises(REFUSALS):
        disclosures.open_request(
            deps, warn_ask(cast, recipient_id=cast.p.colleague), by=cast.p.clinician
        )


def test_a_recipient_not_on_file_is_refused_as_a_rule_and_audited(deps: Deps, cast: Cast) -> None:
    before = _audit_count(deps)
    with pytest.raises(InvalidValue):
        disclosures.break_the_glass(
            deps, warn_ask(cast, recipient_id="nobody-on-file"), by=cast.p.clinician
        )
    assert _audit_count(deps) > before


def test_a_recipient_not_on_file_never_gets_a_package(deps: Deps, cast: Cast) -> None:
    """Whatever the error, nothing is stored and no package escapes (regression)."""
    with pytest.raises((*REFUSALS, SQLAlchemyError)):
        disclosures.break_the_glass(
            deps, warn_ask(cast, recipient_id="nobody-on-file"), by=cast.p.clinician
        )
    assert _row_count(deps, cast.p.client) == 0
    assert not [a for a, e, _r, _b in _chain(deps, cast.p.client) if a == "disclose"]


# 5. Break-the-glass -----------------------------------------------------------------------------


def test_only_the_treating_clinician_breaks_the_glass(deps: Deps, cast: Cast) -> None:
    p = cast.p
    for by in (p.colleague, cast.supervisor, p.officer):
        before = _audit_count(deps)
        with pytest.raises(DisclosureRefused, match="treating clinician"):
            disclosures.break_the_glass(deps, warn_ask(cast), by=by)
        assert _audit_count(deps) == before + 1
    assert _row_count(deps, p.client) == 0
    assert not [a for a, _e, _r, _b in _chain(deps, p.client) if a in {"read", "disclose"}]


def test_break_the_glass_is_only_for_imminent_risk(deps: Deps, cast: Cast) -> None:
    clock = deps.clock
    assert isinstance(clock, StepClock)
    with pytest.raises(DisclosureRefused, match="imminent risk"):
        disclosures.break_the_glass(deps, _abuse(cast, clock), by=cast.p.clinician)
    with pytest.raises(DisclosureRefused):
        disclosures.break_the_glass(
            deps, _court_ask(cast, _DIAG, _process(_DIAG)), by=cast.p.clinician
        )
    assert _row_count(deps, cast.p.client) == 0


def test_an_emergency_is_reviewed_once_by_a_second_person(deps: Deps, cast: Cast) -> None:
    p = cast.p
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    with pytest.raises(DisclosureRefused):
        disclosures.review_emergency(
            deps, done.id, by=p.clinician, outcome="upheld", note="Synthetic."
        )
    with pytest.raises(NotFoundOrDenied):  # not involved: not told the request exists
        disclosures.review_emergency(
            deps, done.id, by=p.colleague, outcome="upheld", note="Synthetic."
        )
    disclosures.review_emergency(
        deps, done.id, by=cast.supervisor, outcome=ReviewOutcome.NOT_UPHELD, note="Synthetic."
    )
    with pytest.raises(DisclosureRefused, match="already reviewed"):
        disclosures.review_emergency(
            deps, done.id, by=p.officer, outcome=ReviewOutcome.UPHELD, note="Synthetic."
        )
    assert _row(deps, done.id)["review_outcome"] == ReviewOutcome.NOT_UPHELD.value


def test_the_accounting_shows_an_emergency_once_to_its_recipient(deps: Deps, cast: Cast) -> None:
    disclosures.break_the_glass(deps, warn_ask(cast), by=cast.p.clinician)
    accounting = history.accounting_of_disclosures(deps, client_id=cast.p.client, by=cast.p.client)
    assert [d.recipient_id for d in accounting.disclosures] == [cast.police]


def test_the_accounting_names_the_emergency_recipient(deps: Deps, cast: Cast) -> None:
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=cast.p.clinician)
    accounting = history.accounting_of_disclosures(deps, client_id=cast.p.client, by=cast.p.client)
    to_police = [d for d in accounting.disclosures if d.recipient_id == cast.police]
    assert len(to_police) == 1
    assert set(to_police[0].categories) == {Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}
    assert "164.512(j)" in to_police[0].ground
    assert _row(deps, done.id)["package_sha256"]


# 6. Tampering with the stored request ------------------------------------------------------------


def test_an_older_revisions_sealed_words_do_not_open_under_a_newer_revision(
    deps: Deps, cast: Cast
) -> None:
    opened = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    old_blob = _row(deps, opened.id)["sealed_details"]
    disclosures.submit_request(deps, opened.id, by=cast.p.clinician)
    _set_row(deps, opened.id, sealed_details=old_blob)
    with pytest.raises(IntegrityError):
        disclosures.view_request(deps, opened.id, by=cast.p.clinician)
    with pytest.raises(IntegrityError):
        disclosures.approve_request(deps, opened.id, by=cast.supervisor)


@pytest.mark.parametrize("tamper", ["forged_approval", "redirected", "widened"])
def test_a_tampered_request_row_is_never_released(deps: Deps, cast: Cast, tamper: str) -> None:
    p = cast.p
    if tamper == "forged_approval":
        target = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
        _set_row(
            deps,
            target.id,
            state="approved",
            decided_by=cast.supervisor,
            decided_at=deps.clock.now(),
        )
        by = p.clinician
    elif tamper == "redirected":
        target = _approved_warning(deps, cast)
        _set_row(deps, target.id, recipient_id=cast.agency)  # another recipient on file
        by = p.clinician
    else:
        order = disclosures.open_request(
            deps, _court_ask(cast, _DIAG, _process(_DIAG)), by=p.officer
        )
        disclosures.submit_request(deps, order.id, by=p.officer)
        target = disclosures.approve_request(deps, order.id, by=cast.supervisor)
        _set_row(
            deps,
            target.id,
            categories="diagnosis,psychotherapy_note",
            process_categories="diagnosis,psychotherapy_note",
        )
        by = p.officer

    with pytest.raises((*REFUSALS, IntegrityError)):
        disclosures.disclose(deps, target.id, by=by)


def test_a_rolled_back_row_cannot_be_released_again(deps: Deps, cast: Cast) -> None:
    p = cast.p
    approved = _approved_warning(deps, cast)
    snapshot = {k: v for k, v in _row(deps, approved.id).items() if k != "id"}
    disclosures.disclose(deps, approved.id, by=p.clinician)
    _set_row(deps, approved.id, **snapshot)

    with pytest.raises((*REFUSALS, IntegrityError)):
        disclosures.disclose(deps, approved.id, by=p.clinician)


# 7. Words that must stay sealed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"ground": "gossip"},
        {"recipient_kind": "court"},
        {"categories": frozenset({Category.PROGRESS_NOTE})},
        {"recipient_id": "not an id at all"},
    ],
)
def test_a_refused_open_keeps_the_justification_out_of_the_log_and_the_error(
    deps: Deps, cast: Cast, bad: dict[str, object]
) -> None:
    secret = f"{JUSTIFICATION} {MARKER}"
    with pytest.raises(InvalidValue) as refused:
        disclosures.open_request(
            deps, warn_ask(cast, justification=secret, **bad), by=cast.p.clinician
        )
    assert MARKER not in str(refused.value)
    assert MARKER not in repr(refused.value)
    assert MARKER not in _audit_text(deps)


def test_decision_words_stay_out_of_the_log_and_the_package(deps: Deps, cast: Cast) -> None:
    p = cast.p
    opened = disclosures.open_request(
        deps, warn_ask(cast, justification=f"Synthetic {MARKER}-J"), by=p.clinician
    )
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    disclosures.reject_request(deps, opened.id, by=cast.supervisor, reason=f"Synthetic {MARKER}-R")
    done, package = disclosures.break_the_glass(
        deps, warn_ask(cast, justification=f"Synthetic {MARKER}-B"), by=p.clinician
    )
    disclosures.review_emergency(
        deps, done.id, by=cast.supervisor, outcome="upheld", note=f"Synthetic {MARKER}-V"
    )
    assert MARKER not in _audit_text(deps)
    assert MARKER not in pdf_text(package.pdf)
    assert MARKER.encode() not in package.fhir_json
    with deps.engine.connect() as conn:
        blobs = conn.execute(select(t.disclosure_requests.c.sealed_details)).scalars().all()
    assert all(MARKER.encode() not in bytes(b) for b in blobs)


def test_free_text_in_an_id_field_never_reaches_the_audit_log(deps: Deps, cast: Cast) -> None:
    typed = f"He said {MARKER}"  # a justification pasted into the wrong field
    with pytest.raises(REFUSALS):
        disclosures.open_request(deps, warn_ask(cast, client_id=typed), by=cast.p.clinician)
    with pytest.raises(REFUSALS):
        disclosures.open_request(deps, warn_ask(cast), by=typed)
    with pytest.raises(REFUSALS):
        disclosures.work_queue(deps, by=typed)
    assert MARKER not in _audit_text(deps)


# 8. Completeness of the audit, and what the client sees ----------------------------------------


def test_reading_the_sealed_words_through_the_queue_is_on_the_clients_chain(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    disclosures.submit_request(deps, opened.id, by=p.clinician)
    before = _chain(deps, p.client)

    items = [
        i for i in disclosures.work_queue(deps, by=cast.supervisor) if i.request.id == opened.id
    ]

    assert items
    shown = items[0].request.justification == JUSTIFICATION
    logged = len(_chain(deps, p.client)) > len(before)
    assert not shown or logged


def _erased_client_with_a_request(deps: Deps, cast: Cast) -> tuple[str, str]:
    """A second client with an open abuse report, then crypto-erased."""
    clock = deps.clock
    assert isinstance(clock, StepClock)
    other = _second_client(deps, cast)
    report = disclosures.open_request(
        deps, _abuse(cast, clock, client_id=other), by=cast.p.clinician
    )
    disclosures.submit_request(deps, report.id, by=cast.p.clinician)
    erasure.erase_client(deps, other, by=cast.p.officer)
    return other, report.id


def test_erasing_a_client_does_not_break_the_queue(deps: Deps, cast: Cast) -> None:
    live = disclosures.open_request(deps, warn_ask(cast), by=cast.p.clinician)
    disclosures.submit_request(deps, live.id, by=cast.p.clinician)
    _other, erased = _erased_client_with_a_request(deps, cast)

    queue = {i.request.id: i.request for i in disclosures.work_queue(deps, by=cast.p.officer)}

    assert live.id in queue
    # The queue reads codes only: an erased client's request may still be listed (a report may
    # still be owed), but nothing sealed with the destroyed key is, or could be, opened.
    if erased in queue:
        assert queue[erased].justification == "(sealed)"


def test_a_refused_step_on_an_erased_clients_request_is_audited(deps: Deps, cast: Cast) -> None:
    other, report = _erased_client_with_a_request(deps, cast)
    before = len(_chain(deps, other))
    with pytest.raises((*REFUSALS, DataKeyErased)):
        disclosures.view_request(deps, report, by=cast.p.officer)
    with pytest.raises((*REFUSALS, DataKeyErased)):
        disclosures.approve_request(deps, report, by=cast.p.officer)
    assert len(_chain(deps, other)) == before + 2


def test_the_client_is_not_tipped_off_about_an_abuse_report_being_prepared(
    deps: Deps, cast: Cast
) -> None:
    clock = deps.clock
    assert isinstance(clock, StepClock)
    report = disclosures.open_request(deps, _abuse(cast, clock), by=cast.p.colleague)
    disclosures.submit_request(deps, report.id, by=cast.p.colleague)

    seen = history.access_history(deps, client_id=cast.p.client, by=cast.p.client)

    assert not [e for e in seen.entries if e.action.startswith("disclosure")]


def test_an_uninvolved_clinician_cannot_override_a_decision_to_withhold_notice(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    disclosures.withhold_notice(
        deps,
        done.id,
        by=p.officer,
        reason=WithholdReason.RISK_TO_OTHERS,
        review_on=date(2026, 4, 1),
    )
    with pytest.raises(REFUSALS):
        disclosures.record_client_told(deps, done.id, by=p.colleague)
    assert _state(deps, done.id) == DisclosureState.NOTIFICATION_WITHHELD.value


def test_a_mandated_report_cannot_be_made_to_vanish_by_someone_else(deps: Deps, cast: Cast) -> None:
    ca = replace(deps, rules=installed_pack("us-ca"))
    clock = deps.clock
    assert isinstance(clock, StepClock)
    report = disclosures.open_request(ca, _abuse(cast, clock), by=cast.p.colleague)
    disclosures.submit_request(ca, report.id, by=cast.p.colleague)
    try:
        disclosures.withdraw_request(ca, report.id, by=cast.p.officer)
    except REFUSALS:
        return  # refusing the withdrawal is a secure answer too
    clock.current += timedelta(hours=40)
    flagged = {i.request.id: i.flags for i in disclosures.work_queue(ca, by=cast.p.officer)}
    assert "report_overdue" in flagged.get(report.id, ())


def test_only_oversight_withholds_notice_and_only_for_a_real_order(deps: Deps, cast: Cast) -> None:
    p = cast.p
    done, _ = disclosures.break_the_glass(deps, warn_ask(cast), by=p.clinician)
    for by, refusal in ((p.clinician, DisclosureRefused), (p.colleague, NotFoundOrDenied)):
        with pytest.raises(refusal):
            disclosures.withhold_notice(
                deps, done.id, by=by, reason="risk_to_client", review_on=date(2026, 4, 1)
            )
    for review_on in (date(2026, 3, 1), date(2028, 1, 1)):
        with pytest.raises(DisclosureRefused):
            disclosures.withhold_notice(
                deps, done.id, by=p.officer, reason="risk_to_client", review_on=review_on
            )
    with pytest.raises(DisclosureRefused):
        disclosures.withhold_notice(
            deps, done.id, by=p.officer, reason="order_forbids", review_on=date(2026, 4, 1)
        )


def test_viewing_a_request_is_for_the_involved_and_every_view_is_logged(
    deps: Deps, cast: Cast
) -> None:
    p = cast.p
    opened = disclosures.open_request(deps, warn_ask(cast), by=p.clinician)
    before = _audit_count(deps)
    with pytest.raises(NotFoundOrDenied):
        disclosures.view_request(deps, opened.id, by=p.colleague)
    assert _audit_count(deps) == before + 1
    assert _chain(deps, p.client)[-1][:3] == (
        "disclosure_view",
        "deny",
        "deny.disclosure.not_involved",
    )
    seen = disclosures.view_request(deps, opened.id, by=cast.supervisor)
    assert seen.justification == JUSTIFICATION
    assert _chain(deps, p.client)[-1][0] == "disclosure_view"
    assert _chain(deps, p.client)[-1][3] == cast.supervisor


def test_the_queue_is_refused_to_clinicians_and_recipients_and_audited(
    deps: Deps, cast: Cast
) -> None:
    for by in (cast.p.clinician, cast.police, cast.p.outsider, "nobody-known"):
        before = _audit_count(deps)
        with pytest.raises(NotFoundOrDenied):
            disclosures.work_queue(deps, by=by)
        assert _audit_count(deps) == before + 1


# 9. The command line ---------------------------------------------------------------------------


def test_the_cli_never_drops_a_records_limit(
    deps: Deps, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from confide.cli import disclose_commands

    monkeypatch.setattr(disclose_commands, "opened_deps", lambda: deps)
    result = CliRunner().invoke(
        disclose_commands.disclose_app,
        [
            "open",
            cast.p.client,
            "--as",
            cast.p.clinician,
            "--ground",
            "imminent_risk_others",
            "--to",
            cast.police,
            "--recipient-kind",
            "law_enforcement",
            "-c",
            "risk_assessment",
            "--justification",
            "Synthetic: only the old assessment.",
            "--records-until",
            "2026-01-01T00:00+00:00",
        ],
    )
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.disclosure_requests.c.records_until).where(
                t.disclosure_requests.c.client_id == cast.p.client
            )
        ).all()
    # Either the command refused, or the limit was kept.
    assert result.exit_code != 0 or all(r.records_until is not None for r in rows)


def test_the_request_read_back_is_the_request_stored(deps: Deps, cast: Cast) -> None:
    """Sanity: what the service returns is what the store holds (codes columns and seal)."""
    approved = _approved_warning(deps, cast)
    with deps.engine.connect() as conn:
        stored = DisclosuresRepository(conn).get(approved.id)
        assert stored is not None
    seen = disclosures.view_request(deps, approved.id, by=cast.p.officer)
    assert seen == approved
