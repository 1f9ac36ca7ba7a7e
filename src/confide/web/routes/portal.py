"""The client portal: the overview, the notice, who saw my record, my disclosures, my record.

Every page asks a service, as the signed-in client, about the client's own record; the
services decide and log each view. URLs carry opaque ids and non-clinical filters only; what a
client types comes back only into its own field. The consent pages are in ``portal_consents``.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import ConsentStatus, InvalidValue, Role
from confide.domain.validation import require_id
from confide.services import clients, history, notice, practice
from confide.services.accounts import Principal
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.history_export import history_pdf
from confide.services.record_export import own_record_pdf
from confide.web.history_pages import (
    PAGE_SIZE,
    access_page_of,
    effect_of,
    read_cursor,
    read_filter,
)
from confide.web.notice_text import notice_blocks
from confide.web.pages import render
from confide.web.session import Viewer

router = APIRouter(prefix="/portal")

# What a ``?done=`` flag says: fixed sentences, so nothing the client sent is shown back.
DONE = {
    "acknowledged": "Thank you. Your acknowledgment of the notice is recorded.",
    "given": "Your consent is recorded. It applies from the first day you chose.",
    "narrowed": (
        "Your consent is narrowed. The narrower version applies from now on; the old one no "
        "longer does."
    ),
    "revoked": (
        "Your consent is revoked. From this moment it no longer lets anyone see your record."
    ),
}


def client_only(who: Principal) -> str:
    """The client's own id: the portal is for clients; anyone else finds nothing here."""
    if who.role is not Role.CLIENT:
        raise NotFoundOrDenied
    return who.actor_id


# Overview and notice ------------------------------------------------------------------------


@router.get("")
def overview(request: Request, who: Viewer) -> Response:
    """A greeting, whether the notice needs reading, and the consents in force."""
    client_id = client_only(who)
    deps = deps_of(request)
    status = notice.notice_status(deps, client_id, by=client_id)
    now = deps.clock.now()
    given = clients.consents_of(deps, client_id, by=client_id)
    active = sum(1 for c in given if c.status_at(now) is ConsentStatus.ACTIVE)
    upcoming = sum(1 for c in given if c.status_at(now) is ConsentStatus.NOT_YET_ACTIVE)
    return render(
        request, "portal/overview.html", who, title="Overview",
        needs_acknowledgment=status.needs_acknowledgment, active=active, upcoming=upcoming,
    )  # fmt: skip


@router.get("/notice")
def notice_page(
    request: Request, who: Viewer, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """The limits-of-confidentiality notice in force, and the acknowledgment form."""
    client_id = client_only(who)
    status = notice.notice_status(deps_of(request), client_id, by=client_id)
    return render(
        request, "portal/notice.html", who, title="Confidentiality notice",
        blocks=notice_blocks(status.text), status=status, done=DONE.get(done or ""),
    )  # fmt: skip


@router.post("/notice")
def acknowledge(
    request: Request, who: Viewer, version: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """The client acknowledges the version of the notice they were shown."""
    client_id = client_only(who)
    require_id(version, "version")
    with suppress(Conflict):  # acknowledged already (a second click): the same confirmation
        practice.acknowledge_notice(deps_of(request), client_id, version, by=client_id)
    return RedirectResponse("/portal/notice?done=acknowledged", status_code=303)


# Who saw my record --------------------------------------------------------------------------


@router.get("/access")
def access_page(
    request: Request,
    who: Viewer,
    *,
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
    outcome: Annotated[str, Query(max_length=10)] = "all",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Who accessed my record, newest first, 50 at a time; filtered by dates and outcome."""
    client_id = client_only(who)
    filters = {"from": from_, "to": to, "outcome": outcome}
    try:
        chosen = read_filter(from_, to, outcome)
    except InvalidValue as e:
        return render(
            request, "portal/access.html", who, title="Who saw my record",
            filters=filters, problems={e.field: e.problem}, rows=[], intact=None, older=None,
            newest=None, status_code=422,
        )  # fmt: skip
    after = read_cursor(cursor)
    deps = deps_of(request)
    h = history.access_history_page(
        deps, client_id=client_id, by=client_id, limit=PAGE_SIZE, after=after,
        since=chosen.since, before=chosen.before, effect=effect_of(chosen.outcome),
    )  # fmt: skip
    page = access_page_of(h, after, filters)
    return render(
        request, "portal/access.html", who, title="Who saw my record",
        filters=filters, problems={}, rows=page.rows,
        intact=h.chain_intact, older=page.older, newest=page.newest,
    )  # fmt: skip


# Disclosures --------------------------------------------------------------------------------


@router.get("/accounting")
def accounting_page(request: Request, who: Viewer) -> Response:
    """My accounting of disclosures (HIPAA 45 CFR 164.528)."""
    client_id = client_only(who)
    a = history.accounting_of_disclosures(deps_of(request), client_id=client_id, by=client_id)
    return render(
        request, "portal/accounting.html", who, title="Disclosures",
        accounting=a, exclusions=history.EXCLUSIONS, suspension=history.SUSPENSION_NOTE,
    )  # fmt: skip


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/accounting.pdf")
def accounting_pdf(request: Request, who: Viewer) -> Response:
    """Who saw my record and my accounting of disclosures, as a PDF (its export is logged)."""
    client_id = client_only(who)
    deps = deps_of(request)
    h = history.access_history(deps, client_id=client_id, by=client_id)
    a = history.accounting_of_disclosures(deps, client_id=client_id, by=client_id)
    history.record_export(deps, client_id=client_id, by=client_id, form="pdf")
    return _pdf(history_pdf(h, a), "accounting-of-disclosures.pdf")


# My record ----------------------------------------------------------------------------------


@router.get("/record")
def record_page(request: Request, who: Viewer) -> Response:
    """The right of access to one's own record, and the download."""
    client_only(who)
    return render(request, "portal/record.html", who, title="My record")


@router.get("/record.pdf")
def record_pdf(request: Request, who: Viewer) -> Response:
    """My own record as a PDF: what a client's own request may see (read and logged as such)."""
    client_id = client_only(who)
    pdf = own_record_pdf(deps_of(request), client_id=client_id, by=client_id)
    return _pdf(pdf, "my-record.pdf")
