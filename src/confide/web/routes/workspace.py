"""The clinician workspace: caseload, a client's record by category, notes, exceptions.

Every page asks the services, which decide and audit each read and write. URLs carry opaque ids
only (never a category: a category such as substance use is itself clinical); a form answers a
success with a redirect to a page that says, in fixed words, what was done.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import CLINICAL_ROLES, Category, ExceptionGround, InvalidValue, Purpose
from confide.domain.validation import require_id
from confide.policy.minimum_necessary import MINIMUM_NECESSARY
from confide.services import clients, disclosures, records
from confide.services.accounts import Principal
from confide.services.clients import ClientSummary
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.services.records import Entry, RecordView
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
from confide.web.pages import ROLE_NAMES, render
from confide.web.routes.office import released_page
from confide.web.session import Viewer

router = APIRouter(prefix="/workspace")

# Every category but psychotherapy notes, which are asked for on their own page (HIPAA
# 164.508(a)(2)); in the design's order of sensitivity.
ROUTINE = tuple(c for c in Category if c is not Category.PSYCHOTHERAPY_NOTE)
APART = Category.PSYCHOTHERAPY_NOTE
EMERGENCY = (ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS)
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


@dataclass(frozen=True, slots=True)
class Withheld:
    """A category hidden from the reader, and why: the decision's reason and rule."""

    category: Category
    reason: str
    rule: str
    cites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """One category of the record as the reader may see it."""

    category: Category
    entries: list[Entry]
    withheld: list[Withheld]


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
    return _redirect(f"/workspace/clients/{client_id.strip()}")


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
    summary = _summary_or_none(deps, client_id, who)
    view = _read_or_none(deps, client_id, who, frozenset(ROUTINE), reading_for)
    if summary is None and view is None:
        raise NotFoundOrDenied
    return render(
        request,
        "workspace/client.html",
        who,
        title="Client record",
        client_id=client_id,
        summary=summary,
        groups=None if view is None else _groups(view, ROUTINE),
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
    summary = _summary_or_none(deps, client_id, who)
    view = _read_or_none(deps, client_id, who, frozenset({APART}))
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
    return _redirect(f"/workspace/clients/{client_id}{page}?done=written")


@router.get("/records/{record_id}/amend")
def amend_form(
    request: Request, record_id: str, who: Viewer, client: Annotated[str, Query(max_length=64)]
) -> Response:
    """The form to correct an entry: its current text, to change."""
    entry = _entry(deps_of(request), who, client, record_id)
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
        entry = _entry(deps, who, client, record_id)
        return _amend_form(request, who, client, entry, text=text, error=e)
    page = "/psychotherapy-notes" if back == "apart" else ""
    return _redirect(f"/workspace/clients/{client}{page}?done=amended")


# Exception disclosures -------------------------------------------------------------------------


@router.get("/clients/{client_id}/disclosures/new")
def new_disclosure(
    request: Request,
    client_id: str,
    who: Viewer,
    ground: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """First the choice of ground, explained; then the form that ground needs."""
    deps = deps_of(request)
    clients.client_summary(deps, client_id, by=who.actor_id)
    if not ground:
        return _grounds(request, who, client_id)
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
        return _redirect(f"/workspace/disclosures/{opened.id}?done=drafted")
    disclosures.submit_request(deps, opened.id, by=who.actor_id)
    return _redirect(f"/workspace/disclosures/{opened.id}?done=submitted")


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
    return _redirect(f"/workspace/disclosures/{request_id}?done=submitted")


@router.post("/disclosures/{request_id}/withdraw")
def withdraw_disclosure(request: Request, request_id: str, who: Viewer) -> Response:
    """Withdraw a request not yet decided."""
    disclosures.withdraw_request(deps_of(request), request_id, by=who.actor_id)
    return _redirect(f"/workspace/disclosures/{request_id}?done=withdrawn")


# Helpers ---------------------------------------------------------------------------------------


def _redirect(to: str) -> Response:
    return RedirectResponse(to, status_code=303)


def _summary_or_none(deps: Deps, client_id: str, who: Principal) -> ClientSummary | None:
    try:
        return clients.client_summary(deps, client_id, by=who.actor_id)
    except NotFoundOrDenied:
        return None


def _read_or_none(
    deps: Deps,
    client_id: str,
    who: Principal,
    categories: frozenset[Category],
    purpose: Purpose = Purpose.TREAT,
) -> RecordView | None:
    try:
        return records.read_records(
            deps,
            actor_id=who.actor_id,
            client_id=client_id,
            categories=categories,
            purpose=purpose,
        )
    except NotFoundOrDenied:
        return None


def _groups(view: RecordView, categories: tuple[Category, ...]) -> list[Group]:
    """The entries by category, and for each category withheld, why (as the API's
    ``withheld``: every outcome of a denied category, with its rule and citations)."""
    entries: dict[Category, list[Entry]] = defaultdict(list)
    for e in view.entries:
        entries[e.category].append(e)
    withheld: dict[Category, list[Withheld]] = defaultdict(list)
    for d in view.decisions:
        for o in d.outcomes:
            if o.category in d.denied:
                withheld[o.category].append(
                    Withheld(o.category, o.reason, o.rule_id.value, tuple(o.cites))
                )
    return [Group(c, entries[c], withheld[c]) for c in categories]


def _entry(deps: Deps, who: Principal, client_id: str, record_id: str) -> Entry:
    """The latest version of one entry, as its reader may see it: looked for in the record
    first, and only then among the psychotherapy notes (read only when needed)."""
    require_id(client_id, "client")
    require_id(record_id, "record_id")
    for categories in (frozenset(ROUTINE), frozenset({APART})):
        view = _read_or_none(deps, client_id, who, categories)
        found = [e for e in view.entries if e.record_id == record_id] if view else []
        if found:
            return found[0]
    raise NotFoundOrDenied


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise InvalidValue("category", "choose one of the kinds of entry listed") from None


def _problems(
    error: InvalidValue | None, field_of: Callable[[str], str | None], fields: frozenset[str]
) -> tuple[dict[str, str], str | None]:
    """The problem by form field, or as a whole when it names none of the form's fields."""
    if error is None:
        return {}, None
    name = field_of(error.field)
    if name in fields:
        return {name: _sentence(error.problem)}, None
    return {}, _sentence(error.problem)


def _sentence(problem: str) -> str:
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith((".", ")")) else text + "."


def _note_form(
    request: Request,
    who: Principal,
    client_id: str,
    *,
    category: str = "",
    text: str = "",
    error: InvalidValue | None = None,
) -> Response:
    problems, general = _problems(error, lambda f: f, frozenset({"category", "text"}))
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
    problems, general = _problems(error, lambda f: f, frozenset({"text"}))
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
    problems, general = _problems(error, form_field, _shown_fields(ground))
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
    problems, general = _problems(error, form_field, fields)
    return render(
        request,
        "workspace/break_glass.html",
        who,
        title="Break the glass",
        status_code=200 if error is None else 422,
        client_id=client_id,
        form=form,
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
