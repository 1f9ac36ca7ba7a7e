"""The limits of confidentiality as workflows: requests, approvals, release, notification.

Each route mirrors one use case of ``confide.services.disclosures`` (and ``confide disclose``):
the services decide who may act and audit every step, allowed or refused. The justification and
every other free text travel only in bodies and are never logged; paths carry ids alone.

**The package is answered once, by the release.** ``POST .../release`` (and ``.../break-glass``)
answers with the package itself: the PDF base64-encoded and the FHIR Bundle's exact JSON text,
with their digests. That is the simplest correct design because the package exists only at that
moment: the service decides it as the recipient, decrypts only what the engine permits, records
the digests in the ``disclose`` audit entry and keeps no copy. A later ``GET`` would have to
either store the package (a second copy of clinical text at rest) or build it again (a second
decryption and disclosure the audit does not record, with a cover dated differently from the
digests the accounting shows). Every answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, status

from confide.api.disclosure_schemas import (
    NOT_FOUND,
    BreakGlassAsk,
    DisclosureAnswer,
    DisclosureDetail,
    DisclosureOpenAsk,
    GroundRuleAnswer,
    LegalProcessAnswer,
    LegalProcessAsk,
    PackageAnswer,
    PeriodAnswer,
    QueueAnswer,
    QueueFlag,
    QueueItemAnswer,
    RecordsPeriodAsk,
    RejectionAsk,
    ReleaseAnswer,
    ReviewAsk,
    RulesAnswer,
    SourceAnswer,
    WithholdAsk,
)
from confide.api.security import Caller, Services
from confide.domain import Period
from confide.domain.disclosures import DisclosureRequest, LegalProcess
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.policy.rule_packs import GROUND_KEYS, RulePack
from confide.services import disclosures
from confide.services.deps import Deps
from confide.services.disclosure_package import DisclosurePackage

router = APIRouter(prefix="/api/v1", tags=["disclosures"])
HOURS = 3600.0


# Reading the rules and the queue (declared before /disclosures/{request_id}) -------------------


@router.get("/disclosures/rules")
def rules(who: Caller, deps: Services) -> RulesAnswer:
    """The jurisdiction's rules in force (``CONFIDE_RULE_PACK``): per ground, the duty, who
    approves, who may receive, the reporting deadline and the law; and break-the-glass limits."""
    who.require(Scope.DISCLOSURES)
    return rules_answer(deps.rules)


@router.get("/disclosures/queue", responses=NOT_FOUND)
def queue(who: Caller, deps: Services) -> QueueAnswer:
    """What waits for the practice's supervisors and privacy officer, soonest deadline first:
    approvals, reports and their deadlines, emergency reviews, clients not yet told. Codes,
    ids and times only; anyone else gets the not-found answer."""
    who.require(Scope.DISCLOSURES)
    items = disclosures.work_queue(deps, by=who.actor_id)
    return QueueAnswer(
        rules=deps.rules.name,
        items=[
            QueueItemAnswer(
                request_id=i.request.id,
                client_id=i.request.client_id,
                ground=i.request.ground,
                victim_kind=i.request.victim_kind,
                state=i.request.state,
                emergency=i.request.emergency,
                flags=[QueueFlag(f) for f in i.flags],
                deadline=i.deadline,
            )
            for i in items
        ],
    )


# Opening -------------------------------------------------------------------------------------


@router.post(
    "/clients/{client_id}/disclosures", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND
)
def open_request(
    client_id: str, body: DisclosureOpenAsk, who: Caller, deps: Services
) -> DisclosureAnswer:
    """Open a draft exception disclosure. Its recipient and scope are checked now: nothing
    beyond the ground's minimum necessary, no psychotherapy notes but by a court order that
    names them, and a court order's request only within the order's scope."""
    who.require(Scope.DISCLOSURES)
    require_id(client_id, "client_id")
    ask = disclosures.DisclosureAsk(
        client_id=client_id,
        ground=body.ground,
        recipient_id=body.recipient_id,
        recipient_kind=body.recipient_kind,
        categories=frozenset(body.categories),
        justification=body.justification,
        records_period=_period(body.records_period),
        victim_kind=body.victim_kind,
        suspected_at=body.suspected_at,
        legal_process=_process(body.legal_process),
    )
    return answer_of(disclosures.open_request(deps, ask, by=who.actor_id))


@router.post(
    "/clients/{client_id}/disclosures/break-glass",
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND,
)
def break_glass(client_id: str, body: BreakGlassAsk, who: Caller, deps: Services) -> ReleaseAnswer:
    """An emergency: the treating clinician discloses the minimum necessary at once and gets
    the package (once); a supervisor or privacy officer must review it within the pack's
    deadline."""
    who.require(Scope.DISCLOSURES)
    require_id(client_id, "client_id")
    ask = disclosures.DisclosureAsk(
        client_id=client_id,
        ground=body.ground,
        recipient_id=body.recipient_id,
        recipient_kind=body.recipient_kind,
        categories=frozenset(body.categories),
        justification=body.justification,
    )
    done, package = disclosures.break_the_glass(deps, ask, by=who.actor_id)
    return release_answer(done, package)


# One request's steps -------------------------------------------------------------------------


@router.get("/disclosures/{request_id}", responses=NOT_FOUND)
def view(request_id: str, who: Caller, deps: Services) -> DisclosureDetail:
    """One request in full, its words included, for its requester or the practice's
    supervisors and privacy officers (the read is audited); anyone else gets the not-found
    answer, byte for byte as for a request that does not exist."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return detail_of(deps, disclosures.view_request(deps, request_id, by=who.actor_id))


@router.post("/disclosures/{request_id}/submit", responses=NOT_FOUND)
def submit(request_id: str, who: Caller, deps: Services) -> DisclosureAnswer:
    """The requester sends a draft for a second person's approval."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return answer_of(disclosures.submit_request(deps, request_id, by=who.actor_id))


@router.post("/disclosures/{request_id}/approve", responses=NOT_FOUND)
def approve(request_id: str, who: Caller, deps: Services) -> DisclosureAnswer:
    """A second person, of a role the rule pack names for the ground, approves (never their
    own request)."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return answer_of(disclosures.approve_request(deps, request_id, by=who.actor_id))


@router.post("/disclosures/{request_id}/reject", responses=NOT_FOUND)
def reject(request_id: str, body: RejectionAsk, who: Caller, deps: Services) -> DisclosureAnswer:
    """A second person rejects a submitted request, saying why (sealed, never logged)."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    done = disclosures.reject_request(deps, request_id, by=who.actor_id, reason=body.reason)
    return answer_of(done)


@router.post("/disclosures/{request_id}/withdraw", responses=NOT_FOUND)
def withdraw(request_id: str, who: Caller, deps: Services) -> DisclosureAnswer:
    """The requester or the privacy officer withdraws a request not yet decided (a mandated
    report only its reporter)."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return answer_of(disclosures.withdraw_request(deps, request_id, by=who.actor_id))


@router.post("/disclosures/{request_id}/release", responses=NOT_FOUND)
def release(request_id: str, who: Caller, deps: Services) -> ReleaseAnswer:
    """Produce the package of an approved request (the requester or the privacy officer):
    exactly what the engine permits the recipient, within the records period. The answer holds
    the package, once; its digests are in the audit log and the client's accounting."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    done, package = disclosures.disclose(deps, request_id, by=who.actor_id)
    return release_answer(done, package)


@router.post("/disclosures/{request_id}/review", responses=NOT_FOUND)
def review(request_id: str, body: ReviewAsk, who: Caller, deps: Services) -> DisclosureAnswer:
    """A supervisor or privacy officer (not the clinician) reviews an emergency disclosure."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    done = disclosures.review_emergency(
        deps, request_id, by=who.actor_id, outcome=body.outcome, note=body.note
    )
    return answer_of(done)


@router.post("/disclosures/{request_id}/client-told", responses=NOT_FOUND)
def client_told(request_id: str, who: Caller, deps: Services) -> DisclosureAnswer:
    """Record that the client was told what was disclosed, to whom and why."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return answer_of(disclosures.record_client_told(deps, request_id, by=who.actor_id))


@router.post("/disclosures/{request_id}/notice-withheld", responses=NOT_FOUND)
def notice_withheld(
    request_id: str, body: WithholdAsk, who: Caller, deps: Services
) -> DisclosureAnswer:
    """A supervisor or the privacy officer records why the client is not told for now, and
    when to decide again."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    done = disclosures.withhold_notice(
        deps, request_id, by=who.actor_id, reason=body.reason, review_on=body.review_on
    )
    return answer_of(done)


# From the services' values to the answers ----------------------------------------------------


def _period(asked: RecordsPeriodAsk | None) -> Period | None:
    if asked is None:
        return None
    return Period(asked.start, asked.end, name="records_period")


def _process(asked: LegalProcessAsk | None) -> LegalProcess | None:
    if asked is None:
        return None
    return LegalProcess(
        kind=asked.kind,
        court=asked.court,
        case_number=asked.case_number,
        issued_on=asked.issued_on,
        issued_by=asked.issued_by,
        scope=asked.scope,
        categories=frozenset(asked.categories),
        part2_findings=asked.part2_findings,
        assurance=asked.assurance,
        forbids_telling_client=asked.forbids_telling_client,
    )


def answer_of(r: DisclosureRequest) -> DisclosureAnswer:
    """A request's codes, ids and times."""
    return DisclosureAnswer(**_codes(r))


def _codes(r: DisclosureRequest) -> dict[str, Any]:
    period = r.records_period
    return {
        "id": r.id,
        "client_id": r.client_id,
        "ground": r.ground,
        "state": r.state,
        "emergency": r.emergency,
        "recipient_id": r.recipient_id,
        "recipient_kind": r.recipient_kind,
        "categories": sorted(r.categories, key=lambda c: c.sensitivity),
        "requested_by": r.requested_by,
        "opened_at": r.opened_at,
        "revision": r.revision,
        "records_period": (
            None if period is None else PeriodAnswer(start=period.start, end=period.end)
        ),
        "victim_kind": r.victim_kind,
        "suspected_at": r.suspected_at,
        "submitted_at": r.submitted_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "disclosed_by": r.disclosed_by,
        "disclosed_at": r.disclosed_at,
        "package_sha256": r.package_sha256,
        "review_due": r.review_due,
        "reviewed_by": r.reviewed_by,
        "reviewed_at": r.reviewed_at,
        "review_outcome": r.review_outcome,
        "notified_at": r.notified_at,
        "withheld_reason": r.withheld_reason,
        "withheld_until_review": r.withheld_until_review,
    }


def detail_of(deps: Deps, r: DisclosureRequest) -> DisclosureDetail:
    """A request in full, with what it needs now."""
    flags, deadline = disclosures.flags_of(deps, r, deps.clock.now())
    p = r.legal_process
    process = None
    if p is not None:
        process = LegalProcessAnswer(
            kind=p.kind,
            court=p.court,
            case_number=p.case_number,
            issued_on=p.issued_on,
            issued_by=p.issued_by,
            scope=p.scope,
            categories=sorted(p.categories, key=lambda c: c.sensitivity),
            part2_findings=p.part2_findings,
            assurance=p.assurance,
            forbids_telling_client=p.forbids_telling_client,
        )
    return DisclosureDetail(
        **_codes(r),
        justification=r.justification,
        decision_note=r.decision_note,
        review_note=r.review_note,
        legal_process=process,
        flags=[QueueFlag(f) for f in flags],
        deadline=deadline,
    )


def release_answer(r: DisclosureRequest, package: DisclosurePackage) -> ReleaseAnswer:
    """The released request and its package."""
    return ReleaseAnswer(
        request=answer_of(r),
        package=PackageAnswer(
            sha256=package.sha256,
            pdf_sha256=package.pdf_sha256,
            fhir_sha256=package.fhir_sha256,
            pdf_base64=base64.b64encode(package.pdf).decode("ascii"),
            fhir_json=package.fhir_json.decode("utf-8"),
        ),
    )


def rules_answer(pack: RulePack) -> RulesAnswer:
    """A rule pack as the API shows it, in the CLI's order of grounds."""
    grounds = []
    for key in GROUND_KEYS:
        rule = pack.grounds[key]
        within = rule.report_within
        grounds.append(
            GroundRuleAnswer(
                ground=key[0],
                victim_kind=key[1],
                duty=rule.duty,
                approvers=sorted(rule.approvers),
                recipients=sorted(rule.recipients),
                report_within_hours=None if within is None else within.total_seconds() / HOURS,
                cite=rule.cite,
                summary=rule.summary,
            )
        )
    return RulesAnswer(
        id=pack.id,
        name=pack.name,
        extends=pack.extends,
        checked=pack.checked,
        grounds=grounds,
        break_glass_window_minutes=pack.break_glass_window.total_seconds() / 60,
        break_glass_review_within_hours=pack.break_glass_review_within.total_seconds() / HOURS,
        sources=[SourceAnswer(cite=s.cite, title=s.title, url=s.url) for s in pack.sources],
    )
