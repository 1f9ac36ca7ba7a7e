"""Releasing an exception disclosure (decision 0013): the engine decides what the recipient
gets, only that is decrypted, the package is built, and the disclosure goes on the client's
chain with the package's digests, where their accounting of disclosures finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from confide.domain import (
    AccessRequest,
    BreakGlassGrant,
    Category,
    Decision,
    ExceptionDisclosure,
    Purpose,
)
from confide.domain.disclosures import DisclosureRequest
from confide.policy import PART2_REDISCLOSURE_NOTICE, decide
from confide.policy.minimum_necessary import GROUND_CITATION, GROUND_PURPOSE
from confide.services.deps import new_id
from confide.services.disclosure_package import (
    DisclosurePackage,
    PackageCover,
    PackageEntry,
    build_package,
)
from confide.services.disclosure_steps import Acting, client_key
from confide.services.errors import Conflict
from confide.services.events import log_event
from confide.services.records import open_version
from confide.store.access_log import AccessEvent
from confide.store.practice_repository import PracticeRepository
from confide.store.records_repository import RecordsRepository


@dataclass(frozen=True, slots=True)
class Released:
    """What a release decided and handed over."""

    decision: Decision
    entries: tuple[PackageEntry, ...]
    package: DisclosurePackage


def release_approved(
    acting: Acting, request: DisclosureRequest, fact: ExceptionDisclosure
) -> Released:
    """Decide as the recipient, under the approved disclosure, and build the package."""
    facts = PracticeRepository(acting.c).facts_for(
        request.client_id, request.recipient_id, disclosures=[fact]
    )
    ask = _recipient_ask(acting, request)
    decision = decide(ask, facts, acting.deps.policy)
    released = _release(acting, request, decision, emergency=False)
    log_disclosure(acting, ask, released, request)
    return released


def release_emergency(
    acting: Acting, request: DisclosureRequest, grant: BreakGlassGrant
) -> Released:
    """Decide as the clinician under the break-the-glass grant, build the package, and log
    both the clinician's access and the disclosure to the recipient."""
    facts = PracticeRepository(acting.c).facts_for(
        request.client_id, acting.actor.id, break_glass=[grant]
    )
    ask = AccessRequest(
        acting.actor.id,
        request.client_id,
        request.categories,
        Purpose.BTG,
        acting.now,
        request_id=new_id("req"),
    )
    decision = decide(ask, facts, acting.deps.policy)
    released = _release(acting, request, decision, emergency=True)
    # The clinician's own access to assemble the package: in the access history, not in the
    # accounting (the disclosure there is the one to the recipient, below).
    acting.deps.access_log.append(
        acting.c,
        AccessEvent(
            acting.now,
            ask.request_id or new_id("req"),
            acting.actor.id,
            request.client_id,
            "disclosure_package",
            Purpose.BTG,
            ask.categories,
            decision.effect.value,
            decision.rule_id.value,
            record_id=request.id,
            permitted=decision.permitted,
            record_ids=tuple(e.record_id for e in released.entries),
            reasons=tuple(f"{o.category.value}={o.rule_id.value}" for o in decision.outcomes),
        ),
    )
    log_disclosure(acting, _recipient_ask(acting, request), released, request)
    return released


def log_disclosure(
    acting: Acting, ask: AccessRequest, released: Released, request: DisclosureRequest
) -> None:
    """The disclosure as the accounting shows it: to the recipient, on the ground, with the
    package's digests and who released it."""
    package = released.package
    acting.deps.access_log.append(
        acting.c,
        AccessEvent(
            ask.at,
            ask.request_id or new_id("req"),
            request.recipient_id,
            request.client_id,
            "disclose",
            ask.purpose,
            ask.categories,
            "permit",
            released.decision.rule_id.value,
            record_id=request.id,
            permitted=released.decision.permitted,
            record_ids=tuple(e.record_id for e in released.entries),
            reasons=(
                f"disclosure={request.id}",
                f"by={acting.actor.id}",
                f"pdf=sha256:{package.pdf_sha256}",
                f"fhir=sha256:{package.fhir_sha256}",
            ),
        ),
    )


def _recipient_ask(acting: Acting, request: DisclosureRequest) -> AccessRequest:
    return AccessRequest(
        request.recipient_id,
        request.client_id,
        request.categories,
        GROUND_PURPOSE[request.ground],
        acting.now,
        request_id=new_id("req"),
    )


def _release(
    acting: Acting, request: DisclosureRequest, decision: Decision, *, emergency: bool
) -> Released:
    if not decision.is_permit:
        log_event(
            acting.deps,
            acting.c,
            at=acting.now,
            by=acting.actor.id,
            client_id=request.client_id,
            action="disclose",
            effect="deny",
            rule=decision.rule_id.value,
            categories=request.categories,
        )
        acting.c.commit()
        raise Conflict(
            f"the decision engine permits nothing of this request ({decision.rule_id.value}); "
            "nothing was disclosed"
        )
    entries = _entries(acting, request, decision.permitted)
    cover = _cover(acting, request, decision, entries, emergency=emergency)
    return Released(decision, entries, build_package(cover, entries))


def _entries(
    acting: Acting, request: DisclosureRequest, permitted: frozenset[Category]
) -> tuple[PackageEntry, ...]:
    """The latest version of each permitted record dated within the records period (a
    record's date is when it was first written; a later correction does not move it in), and,
    for an approved request, written before the approval: the approver decided on what was
    there, and nothing added since can ride along."""
    key = client_key(acting.c, request.client_id)
    period = request.records_period
    approved_at = None if request.emergency else request.decided_at
    out = []
    for v in RecordsRepository(acting.c).latest(request.client_id, permitted):
        written = v.created_at or v.recorded_at
        if period is not None and not period.contains(written):
            continue
        if approved_at is not None and written > approved_at:
            continue
        entry = open_version(acting.deps, acting.c, acting.actor.id, key, v)
        out.append(PackageEntry(v.record_id, v.category, v.version, v.recorded_at, entry.text))
    return tuple(out)


def _cover(
    acting: Acting,
    request: DisclosureRequest,
    decision: Decision,
    entries: tuple[PackageEntry, ...],
    *,
    emergency: bool,
) -> PackageCover:
    pack = acting.deps.rules
    process = request.legal_process
    legal = None
    if process is not None:
        legal = (
            f"{process.kind.value.replace('_', ' ')} of {process.court}, case "
            f"{process.case_number}, issued {process.issued_on.isoformat()} by "
            f"{process.issued_by}"
        )
    return PackageCover(
        request_id=request.id,
        client_id=request.client_id,
        ground=request.ground,
        citation=_citation(request, pack.rule(request.ground, request.victim_kind).cite, entries),
        jurisdiction=pack.name,
        recipient_id=request.recipient_id,
        recipient_kind=request.recipient_kind,
        disclosed_at=acting.now,
        disclosed_by=acting.actor.id,
        approved_by=None if emergency else request.decided_by,
        emergency=emergency,
        included=tuple(sorted(decision.permitted, key=lambda c: c.sensitivity)),
        withheld=tuple(
            sorted(request.categories - decision.permitted, key=lambda c: c.sensitivity)
        ),
        records_period=request.records_period,
        # 42 CFR 2.32: the notice goes with every disclosure of substance-use records.
        part2_notice=(
            PART2_REDISCLOSURE_NOTICE
            if any(e.category is Category.SUBSTANCE_USE for e in entries)
            else None
        ),
        legal_process=legal,
    )


def _citation(request: DisclosureRequest, pack_cite: str, entries: tuple[PackageEntry, ...]) -> str:
    """The jurisdiction's citation, the federal rule when it is another, and 42 CFR 2.64 when a
    court order releases substance-use records."""
    federal = GROUND_CITATION[request.ground]
    cites = [pack_cite]
    if federal.removeprefix("HIPAA ") not in pack_cite:
        cites.append(federal)
    if request.legal_process is not None and any(
        e.category is Category.SUBSTANCE_USE for e in entries
    ):
        cites.append("42 CFR 2.64 (court order with the required findings)")
    return "; ".join(cites)
