"""The clinician workspace: caseload, a client's record by category, notes and corrections.

Every page asks the services, which decide and audit each read and write. URLs carry opaque ids
only (never a category: a category such as substance use is itself clinical); a form answers a
success with a redirect to a page that says, in fixed words, what was done. Exception
disclosures are in ``workspace_disclosures``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import CLINICAL_ROLES, Category, InvalidValue, Purpose
from confide.domain.validation import require_id
from confide.services import clients, records
from confide.services.accounts import Principal
from confide.services.errors import NotFoundOrDenied
from confide.services.records import Entry
from confide.web.field_problems import field_problems
from confide.web.pages import render
from confide.web.record_view import (
    APART,
    ROUTINE,
    entry_of,
    groups,
    read_or_none,
    summary_or_none,
)
from confide.web.session import Viewer

router = APIRouter(prefix="/workspace")

# What a clinician reads a record for: their own treatment, or coordinating care with the
# practice that treats the client (what a consent to another practice usually names).
READING_PURPOSES = {p.value: p for p in (Purpose.TREAT, Purpose.COC)}

# What a redirect's ``?done=`` says, in fixed words (nothing typed ever travels in a URL).
DONE = {
    "written": "Your note was saved.",
    "amended": "Your correction was saved as a new version. The earlier version is kept.",
    "drafted": "The request was saved as a draft. Nothing has been sent.",
    "submitted": "The request was sent for approval. Nothing leaves until it is approved.",
    "broken": "The glass was broken and the emergency release was made. It will be reviewed.",
    "withdrawn": "The request was withdrawn. Nothing was disclosed.",
}


def redirect(to: str) -> Response:
    """The answer to a step done: see the page ``to`` (303, so the browser asks with GET)."""
    return RedirectResponse(to, status_code=303)


# Caseload and the record -----------------------------------------------------------------------


@router.get("")
def caseload(request: Request, who: Viewer) -> Response:
    """The clients on your caseload (a privacy officer: the practice's clients)."""
    items = clients.caseload(deps_of(request), by=who.actor_id)
    return render(request, "workspace/caseload.html", who, title="Caseload", items=items)


@router.get("/open")
def open_client(
    request: Request, who: Viewer, client_id: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """Open a client by id (someone not on your caseload who consented to your practice);
    what may be seen is decided on the record page."""
    try:
        require_id(client_id.strip(), "client_id")
    except InvalidValue as e:
        items = clients.caseload(deps_of(request), by=who.actor_id)
        return render(
            request, "workspace/caseload.html", who, title="Caseload",
            items=items, problem=e.problem, client_id=client_id, status_code=422,
        )  # fmt: skip
    return redirect(f"/workspace/clients/{client_id.strip()}")


@router.get("/clients/{client_id}")
def client_record(
    request: Request,
    client_id: str,
    who: Viewer,
    done: Annotated[str, Query(max_length=20)] = "",
    purpose: Annotated[str, Query(max_length=8)] = Purpose.TREAT.value,
) -> Response:
    """A client's record by category, with each category you may not see named and explained;
    psychotherapy notes are on a page of their own. Read for treatment, or for coordinating
    care (what a client's consent to another practice usually names)."""
    deps = deps_of(request)
    reading_for = READING_PURPOSES.get(purpose)
    if reading_for is None:
        raise InvalidValue("purpose", "choose treatment (TREAT) or coordination of care (COC)")
    summary = summary_or_none(deps, client_id, who)
    view = read_or_none(deps, client_id, who, frozenset(ROUTINE), reading_for)
    if summary is None and view is None:
        raise NotFoundOrDenied
    return render(
        request,
        "workspace/client.html",
        who,
        title="Client record",
        client_id=client_id,
        summary=summary,
        groups=None if view is None else groups(view, ROUTINE),
        can_write=summary is not None and who.role in CLINICAL_ROLES,
        done=DONE.get(done),
        purpose=reading_for,
        purposes=list(READING_PURPOSES.values()),
    )


@router.get("/clients/{client_id}/psychotherapy-notes")
def psychotherapy_notes(
    request: Request, client_id: str, who: Viewer, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """The psychotherapy notes you may see (your own), kept apart from the record."""
    deps = deps_of(request)
    summary = summary_or_none(deps, client_id, who)
    view = read_or_none(deps, client_id, who, frozenset({APART}))
    if summary is None and view is None:
        raise NotFoundOrDenied
    return render(
        request,
        "workspace/psychotherapy_notes.html",
        who,
        title="Notes kept apart",
        client_id=client_id,
        entries=None if view is None else list(view.entries),
        can_write=summary is not None and who.role in CLINICAL_ROLES,
        done=DONE.get(done),
    )


# Writing and correcting ------------------------------------------------------------------------


@router.get("/clients/{client_id}/notes/new")
def new_note(request: Request, client_id: str, who: Viewer) -> Response:
    """The form to write a note."""
    clients.client_summary(deps_of(request), client_id, by=who.actor_id)
    return _note_form(request, who, client_id)


@router.post("/clients/{client_id}/notes/new")
def write_note(
    request: Request,
    client_id: str,
    who: Viewer,
    category: Annotated[str, Form(max_length=40)] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    """Write a note; then back to the record (or to the psychotherapy notes) saying so."""
    try:
        chosen = _category(category)
        records.write_record(
            deps_of(request), actor_id=who.actor_id, client_id=client_id, category=chosen, text=text
        )
    except InvalidValue as e:
        return _note_form(request, who, client_id, category=category, text=text, error=e)
    page = "/psychotherapy-notes" if chosen is APART else ""
    return redirect(f"/workspace/clients/{client_id}{page}?done=written")


@router.get("/records/{record_id}/amend")
def amend_form(
    request: Request, record_id: str, who: Viewer, client: Annotated[str, Query(max_length=64)]
) -> Response:
    """The form to correct an entry: its current text, to change."""
    entry = entry_of(deps_of(request), who, client, record_id)
    return _amend_form(request, who, client, entry, text=entry.text)


@router.post("/records/{record_id}/amend")
def amend(
    request: Request,
    record_id: str,
    who: Viewer,
    *,
    client: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form()] = "",
    back: Annotated[str, Form(max_length=10)] = "record",
) -> Response:
    """Save a correction as a new version, keeping every earlier one (HIPAA 164.526); then
    back to the page the entry is on (``back``: the record, or the notes kept apart)."""
    deps = deps_of(request)
    require_id(client, "client")
    try:
        records.amend_record(deps, actor_id=who.actor_id, record_id=record_id, text=text)
    except InvalidValue as e:
        entry = entry_of(deps, who, client, record_id)
        return _amend_form(request, who, client, entry, text=text, error=e)
    page = "/psychotherapy-notes" if back == "apart" else ""
    return redirect(f"/workspace/clients/{client}{page}?done=amended")


# Forms -----------------------------------------------------------------------------------------


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise InvalidValue("category", "choose one of the kinds of entry listed") from None


def _note_form(
    request: Request,
    who: Principal,
    client_id: str,
    *,
    category: str = "",
    text: str = "",
    error: InvalidValue | None = None,
) -> Response:
    problems, general = field_problems(error, lambda f: f, frozenset({"category", "text"}))
    return render(
        request,
        "workspace/note_form.html",
        who,
        title="Write a note",
        status_code=200 if error is None else 422,
        client_id=client_id,
        routine=ROUTINE,
        apart=APART,
        category=category,
        text=text,
        problems=problems,
        general=general,
    )


def _amend_form(
    request: Request,
    who: Principal,
    client_id: str,
    entry: Entry,
    *,
    text: str,
    error: InvalidValue | None = None,
) -> Response:
    problems, general = field_problems(error, lambda f: f, frozenset({"text"}))
    return render(
        request,
        "workspace/amend.html",
        who,
        title="Correct an entry",
        status_code=200 if error is None else 422,
        client_id=client_id,
        entry=entry,
        apart=entry.category is APART,
        text=text,
        problems=problems,
        general=general,
    )
