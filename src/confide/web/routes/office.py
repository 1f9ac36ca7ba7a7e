"""The privacy office: approvals, break-glass reviews, court orders, reports, the audit log.

Supervisors and privacy officers work from the queue (``disclosures.work_queue``); a requesting
clinician follows their own request on its page. Every read and every step goes through
``confide.services.disclosures``, which decides who may act and audits it; the buttons a page
shows are only the ones that make sense for the request's state and the person looking.

URLs carry opaque ids alone and titles name the page only: the justification, a reason or a note
travel in form bodies and appear in page bodies, never in a path, a query or a title. After a
step the answer is a 303 to the request's page with a fixed word (``?done=approved``) that maps to
a fixed sentence. The release is the exception: the package exists only in the release's answer
(the service keeps no copy), so that answer is the confirmation page itself, with the package
offered for download once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import InvalidValue, Role
from confide.domain.disclosures import DisclosureRequest
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import disclosures
from confide.services.accounts import Principal
from confide.services.audit_status import audit_status
from confide.services.disclosure_package import DisclosurePackage
from confide.web.office_queue import queue_sections
from confide.web.office_words import ground_name, rule_rows, span
from confide.web.pages import render
from confide.web.request_view import Problem, problem_of, request_context
from confide.web.session import Viewer

router = APIRouter(prefix="/office")

WORDS = Annotated[str, Form(max_length=2000)]
SHORT = Annotated[str, Form(max_length=40)]

# The confirmation of each step: a fixed word in the URL, a fixed sentence on the page.
DONE = {
    "submitted": "Sent for approval. A second person of the practice decides next.",
    "approved": "Approved. The requester or the privacy officer can now release it.",
    "rejected": "Rejected. Your reason is kept with the request for its requester to read.",
    "withdrawn": "Withdrawn. Nothing was disclosed.",
    "reviewed": "Your review of this emergency disclosure is recorded.",
    "told": "Recorded: the client was told what was disclosed, to whom and why.",
    "withheld": "Recorded: the client is not told for now. The queue will bring it back on the "
    "review date.",
}


# The queue ---------------------------------------------------------------------------------------


@router.get("")
def queue(request: Request, who: Viewer) -> Response:
    """The work queue of a supervisor or privacy officer, in sections; for a clinician, how to
    follow their own requests."""
    who.require(Scope.DISCLOSURES)
    if who.role is Role.CLINICIAN:
        # The queue is oversight's (the service refuses anyone else); a clinician follows the
        # requests they opened, each on its own page.
        return render(request, "office/clinician.html", who, title="Disclosures")
    deps = deps_of(request)
    items = disclosures.work_queue(deps, by=who.actor_id)
    now = deps.clock.now()
    return render(
        request, "office/queue.html", who, title="Disclosures",
        sections=queue_sections(items, who, deps.rules, now), now=now, rules_name=deps.rules.name,
    )  # fmt: skip


@router.get("/find")
def find(who: Viewer, reference: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Go to a request by its reference (its opaque id); whether it may be seen is decided on
    its page."""
    who.require(Scope.DISCLOSURES)
    require_id(reference.strip(), "reference")
    return RedirectResponse(f"/office/disclosures/{reference.strip()}", status_code=303)


# One request -------------------------------------------------------------------------------------


def _request_page(
    request: Request,
    who: Principal,
    request_id: str,
    *,
    done: str | None = None,
    problem: Problem | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    deps = deps_of(request)
    r = disclosures.view_request(deps, request_id, by=who.actor_id)
    now = deps.clock.now()
    flags, deadline = disclosures.flags_of(deps, r, now)
    context = request_context(r, who, deps.rules, now, flags=flags, deadline=deadline)
    status = 200 if problem is None else 422
    return render(
        request, "office/request.html", who, title="Disclosure request", status_code=status,
        done=DONE.get(done or ""), problem=problem, values=values or {}, **context,
    )  # fmt: skip


@router.get("/disclosures/{request_id}")
def request_page(
    request: Request, request_id: str, who: Viewer, done: str | None = None
) -> Response:
    """One request in full, for its requester or the practice's supervisors and privacy
    officers (the read is audited); anyone else gets the not-found page."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return _request_page(request, who, request_id, done=done)


def _step(
    request: Request,
    who: Principal,
    request_id: str,
    *,
    form: str,
    done: str,
    run: Callable[[], object],
    values: dict[str, str] | None = None,
) -> Response:
    """Run one step; a refusal re-renders the page (422) with the problem by its field."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    try:
        run()
    except InvalidValue as e:
        problem = problem_of(form, e)
        return _request_page(request, who, request_id, problem=problem, values=values)
    return RedirectResponse(f"/office/disclosures/{request_id}?done={done}", status_code=303)


@router.post("/disclosures/{request_id}/submit")
def submit(request: Request, request_id: str, who: Viewer) -> Response:
    """The requester sends a draft for a second person's approval."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="submit", done="submitted",
        run=lambda: disclosures.submit_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/approve")
def approve(request: Request, request_id: str, who: Viewer) -> Response:
    """A second person of a role the rule pack names approves."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="approve", done="approved",
        run=lambda: disclosures.approve_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/reject")
def reject(request: Request, request_id: str, who: Viewer, reason: WORDS = "") -> Response:
    """A second person rejects a submitted request, saying why."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="reject", done="rejected", values={"reason": reason},
        run=lambda: disclosures.reject_request(deps, request_id, by=who.actor_id, reason=reason),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/withdraw")
def withdraw(request: Request, request_id: str, who: Viewer) -> Response:
    """The requester or the privacy officer withdraws a request not yet decided."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="withdraw", done="withdrawn",
        run=lambda: disclosures.withdraw_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/release")
def release(request: Request, request_id: str, who: Viewer) -> Response:
    """Produce the package of an approved request. The answer is the confirmation itself: the
    package's digests and, once, its two parts to download (nothing keeps a copy)."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    deps = deps_of(request)
    try:
        done, package = disclosures.disclose(deps, request_id, by=who.actor_id)
    except InvalidValue as e:
        return _request_page(request, who, request_id, problem=problem_of("release", e))
    return released_page(request, who, done, package, f"/office/disclosures/{done.id}")


def released_page(
    request: Request,
    who: Principal,
    done: DisclosureRequest,
    package: DisclosurePackage,
    request_href: str,
) -> Response:
    """The answer to a release (or a break-the-glass): the digests and, this once, the two
    files to download. Nothing keeps a copy of the package."""
    pdf = base64.b64encode(package.pdf).decode("ascii")
    fhir = base64.b64encode(package.fhir_json).decode("ascii")
    return render(
        request, "office/released.html", who, title="Released",
        r=done, ground=ground_name(done), package=package, request_href=request_href,
        pdf_href=f"data:application/pdf;base64,{pdf}",
        fhir_href=f"data:application/fhir+json;base64,{fhir}",
    )  # fmt: skip


@router.post("/disclosures/{request_id}/review")
def review(
    request: Request, request_id: str, who: Viewer, outcome: SHORT = "", note: WORDS = ""
) -> Response:
    """A supervisor or privacy officer (never the clinician) reviews an emergency disclosure."""
    deps = deps_of(request)

    def run() -> object:
        if not outcome:
            raise InvalidValue("review.outcome", "choose upheld or not upheld")
        return disclosures.review_emergency(
            deps, request_id, by=who.actor_id, outcome=outcome, note=note
        )

    return _step(
        request, who, request_id, form="review", done="reviewed",
        values={"outcome": outcome, "note": note}, run=run,
    )  # fmt: skip


@router.post("/disclosures/{request_id}/client-told")
def client_told(request: Request, request_id: str, who: Viewer) -> Response:
    """Record that the client was told what was disclosed, to whom and why."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="told", done="told",
        run=lambda: disclosures.record_client_told(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/notice-withheld")
def notice_withheld(
    request: Request, request_id: str, who: Viewer, reason: SHORT = "", review_on: SHORT = ""
) -> Response:
    """A supervisor or the privacy officer records why the client is not told for now, and
    when to decide again."""
    deps = deps_of(request)

    def run() -> object:
        if not reason:
            raise InvalidValue("notification.reason", "choose why the client is not told for now")
        try:
            on = date.fromisoformat(review_on.strip())
        except ValueError:
            raise InvalidValue(
                "notification.review_on", "a date like 2027-01-15: after today and within a year"
            ) from None
        return disclosures.withhold_notice(
            deps, request_id, by=who.actor_id, reason=reason, review_on=on
        )

    return _step(
        request, who, request_id, form="withhold", done="withheld",
        values={"reason": reason, "review_on": review_on}, run=run,
    )  # fmt: skip


# The audit log and the rules ---------------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, who: Viewer) -> Response:
    """Whether the audit log is intact: every chain and checkpoint verified now (privacy
    officers and administrators; the asking is itself logged)."""
    who.require(Scope.AUDIT_READ)
    status = audit_status(deps_of(request), request.app.state.verify_key, by=who.actor_id)
    return render(
        request, "office/audit.html", who, title="Audit log",
        report=status.report, intact=status.intact, problems=status.problems,
        last=status.last_checkpoint,
    )  # fmt: skip


@router.get("/rules")
def rules(request: Request, who: Viewer) -> Response:
    """The rule pack in force, in plain words."""
    who.require(Scope.DISCLOSURES)
    pack = deps_of(request).rules
    return render(
        request, "office/rules.html", who, title="Rules in force",
        pack=pack, rows=rule_rows(pack), window=span(pack.break_glass_window),
        review_within=span(pack.break_glass_review_within),
    )  # fmt: skip
