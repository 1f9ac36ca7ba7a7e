"""The clinician workspace's exception disclosures: choosing a ground, the request form,
break-the-glass, and following one's own request.

Every step goes through ``confide.services.disclosures``, which decides and audits it. URLs
carry opaque ids only; the justification travels in the form body. A step answers with a
redirect to the request's page that says, in fixed words (``workspace.DONE``), what was done;
break-the-glass answers with the released package itself, as a release does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from confide.api.security import deps_of
from confide.domain import Category, ExceptionGround, InvalidValue
from confide.policy.minimum_necessary import MINIMUM_NECESSARY
from confide.services import clients, disclosures
from confide.services.accounts import Principal
from confide.services.recipients import recipients_on_file
from confide.web.disclosure_forms import (
    FLAG_WORDS,
    GROUND_CHOICES,
    STATE_WORDS,
    DisclosureForm,
    allowed_recipients,
    ask_of,
    form_field,
    offered_categories,
)
from confide.web.field_problems import field_problems
from confide.web.pages import ROLE_NAMES, render
from confide.web.routes.office import released_page
from confide.web.routes.workspace import DONE, redirect
from confide.web.session import Viewer

router = APIRouter(prefix="/workspace")

EMERGENCY = (ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS)


# Opening a request -----------------------------------------------------------------------------


@router.get("/clients/{client_id}/disclosures/new")
def new_disclosure(request: Request, client_id: str, who: Viewer) -> Response:
    """The choice of ground, explained."""
    clients.client_summary(deps_of(request), client_id, by=who.actor_id)
    return _grounds(request, who, client_id)


@router.post("/clients/{client_id}/disclosures/choose")
def choose_ground(
    request: Request,
    client_id: str,
    who: Viewer,
    ground: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The form the chosen ground needs. Posted, not a query: a ground such as a risk of
    self-harm beside a client's id must not be kept in the browser's history."""
    clients.client_summary(deps_of(request), client_id, by=who.actor_id)
    try:
        chosen = ExceptionGround(ground)
    except ValueError:
        return _grounds(request, who, client_id, problem="Choose one of the grounds listed.")
    return _disclosure_form(request, who, client_id, DisclosureForm(ground=chosen.value))


@router.post("/clients/{client_id}/disclosures/new")
def open_disclosure(
    request: Request,
    client_id: str,
    who: Viewer,
    form: Annotated[DisclosureForm, Form()],
) -> Response:
    """Open the request, and send it for approval if that was chosen."""
    deps = deps_of(request)
    try:
        opened = disclosures.open_request(deps, ask_of(client_id, form), by=who.actor_id)
    except InvalidValue as e:
        return _disclosure_form(request, who, client_id, form, e)
    if form.next != "submit":
        return redirect(f"/workspace/disclosures/{opened.id}?done=drafted")
    disclosures.submit_request(deps, opened.id, by=who.actor_id)
    return redirect(f"/workspace/disclosures/{opened.id}?done=submitted")


@router.get("/clients/{client_id}/break-glass")
def break_glass_form(request: Request, client_id: str, who: Viewer) -> Response:
    """Break the glass: emergencies only, explained, with the justification it needs."""
    clients.client_summary(deps_of(request), client_id, by=who.actor_id)
    return _break_glass(request, who, client_id, DisclosureForm())


@router.post("/clients/{client_id}/break-glass")
def break_glass(
    request: Request, client_id: str, who: Viewer, form: Annotated[DisclosureForm, Form()]
) -> Response:
    """Release the minimum necessary at once; a supervisor or privacy officer reviews it."""
    deps = deps_of(request)
    # Only what an emergency takes: the ground, the recipient, the categories and why.
    emergency = DisclosureForm(
        ground=form.ground,
        recipient_id=form.recipient_id,
        recipient_kind=form.recipient_kind,
        categories=form.categories,
        justification=form.justification,
    )
    try:
        if emergency.ground not in {g.value for g in EMERGENCY}:
            raise InvalidValue("ground", "break-the-glass is only for an imminent risk of harm")
        done, package = disclosures.break_the_glass(
            deps, ask_of(client_id, emergency), by=who.actor_id
        )
    except InvalidValue as e:
        return _break_glass(request, who, client_id, form, e)
    # The package exists only now: the answer hands it over (as a release does).
    return released_page(request, who, done, package, f"/workspace/disclosures/{done.id}")


@router.get("/disclosures/{request_id}")
def disclosure(
    request: Request,
    request_id: str,
    who: Viewer,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One request: where it stands, what it needs, and what happens next."""
    deps = deps_of(request)
    r = disclosures.view_request(deps, request_id, by=who.actor_id)
    flags, deadline = disclosures.flags_of(deps, r, deps.clock.now())
    rule = deps.rules.rule(r.ground, r.victim_kind)
    window_ends = None
    if r.emergency and r.submitted_at is not None:
        window_ends = r.submitted_at + deps.rules.break_glass_window
    return render(
        request,
        "workspace/disclosure.html",
        who,
        title="Exception disclosure",
        r=r,
        state=STATE_WORDS.get(r.state.value, r.state.value),
        flags=[FLAG_WORDS.get(f, f) for f in flags],
        deadline=deadline,
        rule=rule,
        approvers=_words(sorted(ROLE_NAMES.get(role, role.value) for role in rule.approvers)),
        categories=sorted(r.categories, key=lambda c: c.sensitivity),
        window_ends=window_ends,
        mine=r.requested_by == who.actor_id,
        done=DONE.get(done),
    )


@router.post("/disclosures/{request_id}/submit")
def submit_disclosure(request: Request, request_id: str, who: Viewer) -> Response:
    """Send a draft for a second person's approval."""
    disclosures.submit_request(deps_of(request), request_id, by=who.actor_id)
    return redirect(f"/workspace/disclosures/{request_id}?done=submitted")


@router.post("/disclosures/{request_id}/withdraw")
def withdraw_disclosure(request: Request, request_id: str, who: Viewer) -> Response:
    """Withdraw a request not yet decided."""
    disclosures.withdraw_request(deps_of(request), request_id, by=who.actor_id)
    return redirect(f"/workspace/disclosures/{request_id}?done=withdrawn")


# Forms -----------------------------------------------------------------------------------------


def _grounds(
    request: Request, who: Principal, client_id: str, problem: str | None = None
) -> Response:
    pack = deps_of(request).rules
    cites = {
        g.ground: _words(sorted({r.cite for (k, _), r in pack.grounds.items() if k is g.ground}))
        for g in GROUND_CHOICES
    }
    return render(
        request,
        "workspace/disclosure_grounds.html",
        who,
        title="Start an exception disclosure",
        status_code=200 if problem is None else 422,
        client_id=client_id,
        choices=GROUND_CHOICES,
        cites=cites,
        pack=pack,
        general=problem,
    )


def _disclosure_form(
    request: Request,
    who: Principal,
    client_id: str,
    form: DisclosureForm,
    error: InvalidValue | None = None,
) -> Response:
    pack = deps_of(request).rules
    try:
        ground = ExceptionGround(form.ground)
    except ValueError:
        return _grounds(request, who, client_id, problem="Choose one of the grounds listed.")
    problems, general = field_problems(error, form_field, _shown_fields(ground))
    choice = next(c for c in GROUND_CHOICES if c.ground is ground)
    rules = [r for (k, _), r in pack.grounds.items() if k is ground]
    return render(
        request,
        "workspace/disclosure_form.html",
        who,
        title="Start an exception disclosure",
        status_code=200 if error is None else 422,
        client_id=client_id,
        ground=ground,
        choice=choice,
        rules=rules,
        form=form,
        categories=offered_categories(ground),
        recipient_kinds=allowed_recipients(pack, ground),
        recipients=recipients_on_file(deps_of(request), by=who.actor_id),
        all_categories=list(Category),
        problems=problems,
        general=general,
    )


_COMMON_FIELDS = frozenset(
    {"recipient_id", "recipient_kind", "categories", "justification", "records_from", "records_to"}
)
_GROUND_FIELDS = {
    ExceptionGround.ABUSE_NEGLECT: frozenset({"victim_kind", "suspected_at"}),
    ExceptionGround.COURT_ORDER: frozenset(
        {"process_kind", "court", "case_number", "issued_on", "issued_by", "scope"}
        | {"order_categories", "assurance", "part2_findings"}
    ),
}


def _shown_fields(ground: ExceptionGround) -> frozenset[str]:
    """The fields the form for ``ground`` shows, so can mark (any other problem is shown as
    one for the request as a whole)."""
    return _COMMON_FIELDS | _GROUND_FIELDS.get(ground, frozenset())


def _break_glass(
    request: Request,
    who: Principal,
    client_id: str,
    form: DisclosureForm,
    error: InvalidValue | None = None,
) -> Response:
    pack = deps_of(request).rules
    kinds = sorted(
        {k for g in EMERGENCY for k in allowed_recipients(pack, g)}, key=lambda k: k.value
    )
    fields = frozenset({"ground", "recipient_id", "recipient_kind", "categories", "justification"})
    problems, general = field_problems(error, form_field, fields)
    return render(
        request,
        "workspace/break_glass.html",
        who,
        title="Break the glass",
        status_code=200 if error is None else 422,
        client_id=client_id,
        form=form,
        recipients=recipients_on_file(deps_of(request), by=who.actor_id),
        grounds=[c for c in GROUND_CHOICES if c.ground in EMERGENCY],
        categories=sorted(
            {c for g in EMERGENCY for c in MINIMUM_NECESSARY[g]}, key=lambda c: c.sensitivity
        ),
        recipient_kinds=kinds,
        window_minutes=round(pack.break_glass_window.total_seconds() / 60),
        review_hours=round(pack.break_glass_review_within.total_seconds() / 3600),
        problems=problems,
        general=general,
    )


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
