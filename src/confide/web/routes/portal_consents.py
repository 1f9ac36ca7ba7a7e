"""The client portal's consent pages: my consents, giving one (with its live preview),
narrowing one, and revoking one.

Every page asks a service, as the signed-in client, about the client's own consents; the
services decide and log each step. What a client types comes back only into its own field;
after a step the answer is a 303 with a fixed word (``?done=given``) that maps to a fixed
sentence (``portal.DONE``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import Category, Consent, Effect, InvalidValue, Purpose
from confide.domain.validation import require_id
from confide.services import clients, consents
from confide.services.accounts import Principal
from confide.services.recipients import recipients_on_file
from confide.web.consent_forms import (
    CONSENT_PURPOSES,
    FORM_FIELDS,
    FORM_LABELS,
    SPECIAL_NOTES,
    ConsentForm,
    NarrowForm,
    Preview,
    check_consent,
    consent_form,
    narrow_form_of,
    narrowing,
    preview_of,
    sentence,
)
from confide.web.consent_words import consent_view, consent_views
from confide.web.pages import render
from confide.web.routes.portal import DONE, client_only
from confide.web.session import Viewer

router = APIRouter(prefix="/portal/consents")

_Recipient = Annotated[str, Form(max_length=200)]
_Effect = Annotated[str, Form(max_length=20)]
_Codes = Annotated[list[str] | None, Form()]
_Day = Annotated[str, Form(max_length=20)]


@router.get("")
def consents_page(
    request: Request, who: Viewer, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """My consents: those in force, then those no longer in force."""
    client_id = client_only(who)
    deps = deps_of(request)
    views = consent_views(clients.consents_of(deps, client_id, by=client_id), deps.clock.now())
    return render(
        request, "portal/consents.html", who, title="My consents",
        in_force=[v for v in views if v.in_force],
        ended=[v for v in views if not v.in_force],
        done=DONE.get(done or ""),
    )  # fmt: skip


@router.post("/{consent_id}/revoke")
def revoke(request: Request, who: Viewer, consent_id: str) -> Response:
    """Revoke a consent, at once (the list asked 'Are you sure?' first)."""
    client_id = client_only(who)
    require_id(consent_id, "consent_id")
    consents.revoke_consent(deps_of(request), consent_id, by=client_id)
    return RedirectResponse("/portal/consents?done=revoked", status_code=303)


# Giving a consent ---------------------------------------------------------------------------


def _consent_form_page(
    request: Request,
    who: Principal,
    form: ConsentForm,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    deps = deps_of(request)
    client_id = who.actor_id
    known = recipients_on_file(deps, by=client_id)
    return render(
        request, "portal/consent_new.html", who, title="Give a consent",
        form=form, problems=problems or {}, labels=FORM_LABELS, known_recipients=known,
        categories=list(Category), purposes=CONSENT_PURPOSES, special=SPECIAL_NOTES,
        preview=preview_of(form, client_id, deps.clock.now()) if problems else Preview(),
        status_code=status_code,
    )  # fmt: skip


@router.get("/new")
def new_consent_page(request: Request, who: Viewer) -> Response:
    """The form to give a consent (or a refusal)."""
    client_only(who)
    return _consent_form_page(request, who, ConsentForm())


@router.post("/new")
def give_consent(
    request: Request,
    who: Viewer,
    *,
    recipient: _Recipient = "",
    effect: _Effect = Effect.PERMIT.value,
    categories: _Codes = None,
    purposes: _Codes = None,
    starts_on: _Day = "",
    ends_on: _Day = "",
) -> Response:
    """Give a consent; on a problem, the form again with the problem beside its field."""
    client_id = client_only(who)
    deps = deps_of(request)
    form = consent_form(
        recipient=recipient, effect=effect, categories=categories, purposes=purposes,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip
    got = check_consent(form, client_id, deps.clock.now())
    if got.consent is None:
        return _consent_form_page(request, who, form, got.problems, 422)
    try:
        consents.grant_consent(deps, got.consent, by=client_id)
    except InvalidValue as e:
        problems = {FORM_FIELDS.get(e.field, ""): sentence(e.problem)}
        return _consent_form_page(request, who, form, problems, 422)
    return RedirectResponse("/portal/consents?done=given", status_code=303)


@router.post("/preview")
def consent_preview(
    request: Request,
    who: Viewer,
    *,
    recipient: _Recipient = "",
    effect: _Effect = Effect.PERMIT.value,
    categories: _Codes = None,
    purposes: _Codes = None,
    starts_on: _Day = "",
    ends_on: _Day = "",
) -> Response:
    """The live preview (htmx): what the consent in the form would do, as a fragment. Nothing
    is stored or looked up."""
    client_id = client_only(who)
    form = consent_form(
        recipient=recipient, effect=effect, categories=categories, purposes=purposes,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip
    preview = preview_of(form, client_id, deps_of(request).clock.now())
    return render(request, "portal/_preview.html", who, title="Preview", preview=preview)


# Narrowing a consent ------------------------------------------------------------------------


def _narrow_page(
    request: Request,
    who: Principal,
    consent: Consent,
    *,
    form: NarrowForm | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = deps_of(request).clock.now()
    return render(
        request, "portal/narrow.html", who, title="Narrow a consent",
        consent=consent, view=consent_view(consent, now, replaced=False),
        form=narrow_form_of(consent) if form is None else form,
        problems=problems or {}, labels=FORM_LABELS,
        categories=sorted(consent.categories, key=lambda c: c.sensitivity),
        purposes=sorted(consent.purposes, key=list(Purpose).index),
        status_code=status_code,
    )  # fmt: skip


@router.get("/{consent_id}/narrow")
def narrow_page(request: Request, who: Viewer, consent_id: str) -> Response:
    """The form to narrow a consent: fewer parts of the record, fewer purposes, an earlier end."""
    client_id = client_only(who)
    consent = clients.consent_of(deps_of(request), consent_id, by=client_id)
    return _narrow_page(request, who, consent)


@router.post("/{consent_id}/narrow")
def narrow(
    request: Request,
    who: Viewer,
    consent_id: str,
    *,
    categories: _Codes = None,
    purposes: _Codes = None,
    ends_on: _Day = "",
) -> Response:
    """Replace a consent with a narrower one, from now on."""
    client_id = client_only(who)
    deps = deps_of(request)
    consent = clients.consent_of(deps, consent_id, by=client_id)
    form = NarrowForm(tuple(categories or ()), tuple(purposes or ()), ends_on)
    try:
        cats, kept, end = narrowing(consent, form, deps.clock.now())
        consents.narrow_consent(
            deps, consent_id, by=client_id, categories=cats, purposes=kept, end=end
        )
    except InvalidValue as e:
        name = e.field if e.field in FORM_LABELS else FORM_FIELDS.get(e.field, "")
        return _narrow_page(
            request, who, consent, form=form, problems={name: sentence(e.problem)}, status_code=422
        )
    return RedirectResponse("/portal/consents?done=narrowed", status_code=303)
