"""The client portal: the notice, my consents, who saw my record, my disclosures, my record.

Every page asks a service, as the signed-in client, about the client's own record; the
services decide and log each view. URLs carry opaque ids and non-clinical filters only; what a
client types comes back only into its own field.
"""

from __future__ import annotations

import base64
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import (
    Category,
    Consent,
    ConsentStatus,
    Effect,
    InvalidValue,
    Period,
    Purpose,
    Role,
)
from confide.domain.validation import require_id
from confide.services import clients, consents, history, notice, practice
from confide.services.accounts import Principal
from confide.services.deps import new_id
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.history_export import history_pdf
from confide.services.record_export import own_record_pdf
from confide.web.pages import day, render, when
from confide.web.session import Viewer

router = APIRouter(prefix="/portal")

PAGE_SIZE = 50

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

# The purposes a client can name in a consent. Emergencies, reports the law requires and the
# client's own access need no consent, so they are not offered.
CONSENT_PURPOSES = (
    Purpose.TREAT,
    Purpose.COC,
    Purpose.HPAYMT,
    Purpose.HOPERAT,
    Purpose.FAMRQT,
    Purpose.PWATRNY,
    Purpose.HLEGAL,
)

# Why two kinds of record are special, shown beside their checkboxes.
SPECIAL_NOTES = {
    Category.PSYCHOTHERAPY_NOTE: (
        "Your therapist's private session notes. The law (HIPAA, 45 CFR 164.508(a)(2)) lets "
        "them be shared only with a permission that names them, on its own: give any other "
        "kind of record in a separate consent."
    ),
    Category.SUBSTANCE_USE: (
        "Records of substance-use treatment have extra federal protection (42 CFR Part 2): "
        "they are shared only under a consent that names them, and whoever receives them may "
        "not pass them on."
    ),
}

# Where the services' field names appear on the consent forms.
_FORM_FIELDS = {
    "consent.recipient_id": "recipient",
    "consent.effect": "effect",
    "consent.categories": "categories",
    "consent.purposes": "purposes",
    "consent.period": "ends_on",
    "consent.period.start": "starts_on",
    "consent.period.end": "ends_on",
    "period.start": "starts_on",
    "period.end": "ends_on",
}
_FORM_LABELS = {
    "recipient": "Who",
    "effect": "Let them see, or refuse them",
    "categories": "Which parts of your record",
    "purposes": "For what",
    "starts_on": "First day",
    "ends_on": "Last day",
    "": "This consent",
}


def _own(who: Principal) -> str:
    """The client's own id: the portal is for clients; anyone else finds nothing here."""
    if who.role is not Role.CLIENT:
        raise NotFoundOrDenied
    return who.actor_id


def sentence(problem: str) -> str:
    """A service's problem ('must be ...') as a sentence beside its field ('Must be ...')."""
    text = problem.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _done(flag: str | None) -> str | None:
    return None if flag is None else DONE.get(flag)


# Words --------------------------------------------------------------------------------------


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not words:
        return "nothing"
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"


def category_words(categories: frozenset[Category] | set[Category]) -> str:
    """Kinds of record in plain words, least sensitive first."""
    return _and([c.label for c in sorted(categories, key=lambda c: c.sensitivity)])


def purpose_words(purposes: frozenset[Purpose] | set[Purpose]) -> str:
    """Purposes of use in plain words, in a fixed order ("any purpose" for all of them)."""
    if set(purposes) >= set(Purpose):
        return "any purpose"
    order = list(Purpose)
    return _and([p.label for p in sorted(purposes, key=order.index)])


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def _is_midnight(at: datetime) -> bool:
    return at.astimezone(UTC).time() == time(0)


def until_words(end: datetime | None) -> str:
    """How long a consent lasts: a last day people read as included."""
    if end is None:
        return "until you revoke it"
    if _is_midnight(end):
        return f"until the end of {day(end - timedelta(days=1))}"
    return f"until {when(end)}"


def _last_day(end: datetime | None) -> str:
    """The 'Last day' a date field shows for an end (the day before a midnight end)."""
    if end is None:
        return ""
    return (end.astimezone(UTC) - timedelta(microseconds=1)).date().isoformat()


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One consent as the client reads it."""

    id: str
    sentence: str
    status: str  # active, upcoming, revoked, replaced, expired
    status_words: str
    tag: str
    recipient_id: str
    in_force: bool


def consent_view(c: Consent, now: datetime, replaced: bool) -> ConsentView:
    """A consent in plain words, with where it stands at ``now``."""
    status = c.status_at(now)
    in_force = status in (ConsentStatus.ACTIVE, ConsentStatus.NOT_YET_ACTIVE)
    cats, purposes = category_words(c.categories), purpose_words(c.purposes)
    refusal = c.effect is Effect.DENY
    if in_force:
        verb = "Refuses to let" if refusal else "Lets"
        until = until_words(c.period.end)
    else:
        verb = "Refused to let" if refusal else "Let"
        until = "" if c.period.end is None else until_words(c.period.end)
    sentence = f"{verb} {c.recipient_id} see your {cats} for {purposes} from {day(c.period.start)}"
    sentence = f"{sentence} {until}." if until else f"{sentence}."
    if status is ConsentStatus.ACTIVE:
        state, words, tag = "active", "In force", "good"
    elif status is ConsentStatus.NOT_YET_ACTIVE:
        state, words, tag = "upcoming", f"Starts on {day(c.period.start)}", "warn"
    elif status is ConsentStatus.REVOKED and replaced:
        words = f"Replaced by a narrower consent on {when(c.revoked_at)}"
        state, tag = "replaced", ""
    elif status is ConsentStatus.REVOKED:
        state, words, tag = "revoked", f"Revoked on {when(c.revoked_at)}", "bad"
    else:
        state, words, tag = "expired", f"Ended on {when(c.period.end)}", ""
    return ConsentView(c.id, sentence, state, words, tag, c.recipient_id, in_force)


def _replaced_ids(all_consents: list[Consent]) -> set[str]:
    """The revoked consents a narrowing replaced: another consent to the same recipient, with the
    same effect and no more than it covered, began at the moment it was revoked (or, for one
    revoked before it began, at its own start). The services do not say which consent replaced
    which, so this is read from the consents themselves."""
    found = set()
    for old in all_consents:
        if old.revoked_at is None:
            continue
        begins = max(old.period.start, old.revoked_at)
        for new in all_consents:
            if (
                new.id != old.id
                and new.recipient_id == old.recipient_id
                and new.effect is old.effect
                and new.categories <= old.categories
                and new.purposes <= old.purposes
                and new.period.start == begins
                and (new.revoked_at is None or new.revoked_at > old.revoked_at)
            ):
                found.add(old.id)
    return found


def _views(all_consents: list[Consent], now: datetime) -> list[ConsentView]:
    replaced = _replaced_ids(all_consents)
    newest_first = sorted(all_consents, key=lambda c: c.period.start, reverse=True)
    return [consent_view(c, now, c.id in replaced) for c in newest_first]


# The notice, rendered line by line ----------------------------------------------------------

_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_ORDERED = re.compile(r"\d{1,3}[.)]\s+(.*)")
_BULLET = re.compile(r"[-*+]\s+(.*)")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text, bold or not."""

    text: str
    strong: bool


@dataclass(slots=True)
class Block:
    """A heading, a paragraph or a list of the notice."""

    kind: str  # heading, paragraph, ordered, bullets
    level: int = 2
    items: list[list[str]] = field(default_factory=list)

    @property
    def spans(self) -> list[list[Span]]:
        """Each item (a paragraph is one) as spans of text, bold where ``**`` marks it."""
        return [_spans(" ".join(lines)) for lines in self.items]


def _spans(text: str) -> list[Span]:
    parts = text.split("**")
    if len(parts) % 2 == 0:  # an unmatched "**" stays as typed
        parts = [*parts[:-2], f"{parts[-2]}**{parts[-1]}"]
    return [Span(p, i % 2 == 1) for i, p in enumerate(parts) if p]


def notice_blocks(text: str) -> list[Block]:
    """The notice's Markdown-like text as blocks; no HTML from the text is ever kept as HTML
    (the template escapes every span)."""
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            current = None
            continue
        if heading := _HEADING.fullmatch(line):
            # The page's own title is the h1; the notice's headings sit below it.
            level = min(len(heading.group(1)) + 1, 4)
            blocks.append(Block("heading", level, [[heading.group(2)]]))
            current = None
            continue
        item = _ORDERED.fullmatch(line) or _BULLET.fullmatch(line)
        if item is not None:
            kind = "ordered" if _ORDERED.fullmatch(line) else "bullets"
            if current is None or current.kind != kind:
                current = Block(kind)
                blocks.append(current)
            current.items.append([item.group(1)])
            continue
        if current is None:
            current = Block("paragraph", items=[[]])
            blocks.append(current)
        current.items[-1].append(line)
    return blocks


# Overview and notice ------------------------------------------------------------------------


@router.get("")
def overview(request: Request, who: Viewer) -> Response:
    """A greeting, whether the notice needs reading, and the consents in force."""
    client_id = _own(who)
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
    client_id = _own(who)
    status = notice.notice_status(deps_of(request), client_id, by=client_id)
    return render(
        request, "portal/notice.html", who, title="Confidentiality notice",
        blocks=notice_blocks(status.text), status=status, done=_done(done),
    )  # fmt: skip


@router.post("/notice")
def acknowledge(
    request: Request, who: Viewer, version: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """The client acknowledges the version of the notice they were shown."""
    client_id = _own(who)
    require_id(version, "version")
    with suppress(Conflict):  # acknowledged already (a second click): the same confirmation
        practice.acknowledge_notice(deps_of(request), client_id, version, by=client_id)
    return RedirectResponse("/portal/notice?done=acknowledged", status_code=303)


# Consents -----------------------------------------------------------------------------------


@router.get("/consents")
def consents_page(
    request: Request, who: Viewer, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """My consents: those in force, then those no longer in force."""
    client_id = _own(who)
    deps = deps_of(request)
    views = _views(clients.consents_of(deps, client_id, by=client_id), deps.clock.now())
    return render(
        request, "portal/consents.html", who, title="My consents",
        in_force=[v for v in views if v.in_force],
        ended=[v for v in views if not v.in_force],
        done=_done(done),
    )  # fmt: skip


@router.post("/consents/{consent_id}/revoke")
def revoke(request: Request, who: Viewer, consent_id: str) -> Response:
    """Revoke a consent, at once (the list asked 'Are you sure?' first)."""
    client_id = _own(who)
    require_id(consent_id, "consent_id")
    consents.revoke_consent(deps_of(request), consent_id, by=client_id)
    return RedirectResponse("/portal/consents?done=revoked", status_code=303)


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """What the client put in the consent form, as typed."""

    recipient: str = ""
    effect: str = Effect.PERMIT.value
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    starts_on: str = ""
    ends_on: str = ""


@dataclass(frozen=True, slots=True)
class Preview:
    """Exactly what a consent would do, in plain words, or what is still missing."""

    recipient: str = ""
    refusal: bool = False
    categories: str = ""
    purposes: str = ""
    starts: str = ""
    until: str = ""
    special: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


_Code = TypeVar("_Code", Category, Purpose)
_NOT_OFFERED = "This holds a choice the form does not offer; please choose from the list."


def _date(text: str, name: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, "This is not a date; use the form YYYY-MM-DD.") from None


def _start(text: str, now: datetime) -> datetime:
    """The first day: now for empty or today (yesterday too, for clocks west of UTC)."""
    first = _date(text, "starts_on")
    today = now.astimezone(UTC).date()
    if first is None or first == today or first == today - timedelta(days=1):
        return now
    if first < today:
        raise InvalidValue(
            "starts_on", "This day has passed. Leave it empty to start now, or choose a later day."
        )
    return _midnight(first)


def _end(text: str, start: datetime) -> datetime | None:
    """The end of the last day (the consent covers all of that day)."""
    last = _date(text, "ends_on")
    if last is None:
        return None
    end = _midnight(last + timedelta(days=1))
    if end <= start:
        raise InvalidValue(
            "ends_on",
            "This is before the first day. Choose a last day on or after the first day, or "
            "leave it empty to keep the consent until you revoke it.",
        )
    return end


def _codes(
    kind: type[_Code], values: tuple[str, ...], name: str, offered: tuple[_Code, ...]
) -> frozenset[_Code]:
    found: set[_Code] = set()
    for value in values:
        try:
            code = kind(value)
        except ValueError:
            raise InvalidValue(name, _NOT_OFFERED) from None
        if code not in offered:
            raise InvalidValue(name, _NOT_OFFERED)
        found.add(code)
    return frozenset(found)


@dataclass(slots=True)
class _Checked:
    """The consent form checked field by field: each problem under its field's name."""

    recipient: str | None = None
    effect: Effect | None = None
    categories: frozenset[Category] = frozenset()
    purposes: frozenset[Purpose] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    consent: Consent | None = None  # set when every field is right
    problems: dict[str, str] = field(default_factory=dict)


def _check(form: ConsentForm, client_id: str, now: datetime) -> _Checked:
    """Check the form field by field, then as a whole consent (the domain's own rules)."""
    got = _Checked()
    recipient = form.recipient.strip()
    if not recipient:
        got.problems["recipient"] = "Please say who this consent is for."
    else:
        try:
            got.recipient = require_id(recipient, "recipient")
        except InvalidValue:
            got.problems["recipient"] = (
                "This is not an id the practice gives: use letters, digits and '_.:-' only, "
                "as the practice wrote it for you."
            )
    try:
        got.effect = Effect(form.effect)
    except ValueError:
        got.problems["effect"] = "Please choose whether to let them see, or to refuse them."
    try:
        got.categories = _codes(Category, form.categories, "categories", tuple(Category))
        if not got.categories:
            got.problems["categories"] = "Please choose at least one part of your record."
    except InvalidValue as e:
        got.problems["categories"] = e.problem
    try:
        got.purposes = _codes(Purpose, form.purposes, "purposes", CONSENT_PURPOSES)
        if not got.purposes:
            got.problems["purposes"] = "Please choose at least one purpose."
    except InvalidValue as e:
        got.problems["purposes"] = e.problem
    try:
        got.start = _start(form.starts_on, now)
        got.end = _end(form.ends_on, got.start)
    except InvalidValue as e:
        got.problems[e.field] = e.problem
    if got.problems or got.recipient is None or got.effect is None or got.start is None:
        return got
    try:
        got.consent = Consent(
            new_id("consent"), client_id, got.recipient, got.categories, got.purposes,
            Period(got.start, got.end, name="consent.period"), effect=got.effect,
        )  # fmt: skip
    except InvalidValue as e:
        got.problems[_FORM_FIELDS.get(e.field, "")] = sentence(e.problem)
    return got


def preview_of(form: ConsentForm, client_id: str, now: datetime) -> Preview:
    """What the consent in the form would do, or what the form still needs."""
    got = _check(form, client_id, now)
    if got.consent is None or got.recipient is None or got.start is None:
        missing = tuple(_FORM_LABELS[f] for f in _FORM_LABELS if f in got.problems)
        return Preview(missing=missing)
    special = tuple(SPECIAL_NOTES[c] for c in sorted(got.categories) if c in SPECIAL_NOTES)
    return Preview(
        recipient=got.recipient,
        refusal=got.effect is Effect.DENY,
        categories=category_words(got.categories),
        purposes=purpose_words(got.purposes),
        starts="from now" if got.start == now else f"from {day(got.start)}",
        until=until_words(got.end),
        special=special,
    )


def _form(
    *,
    recipient: str,
    effect: str,
    categories: list[str] | None,
    purposes: list[str] | None,
    starts_on: str,
    ends_on: str,
) -> ConsentForm:
    return ConsentForm(
        recipient, effect, tuple(categories or ()), tuple(purposes or ()), starts_on, ends_on
    )


def _consent_form_page(
    request: Request,
    who: Principal,
    form: ConsentForm,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    deps = deps_of(request)
    client_id = who.actor_id
    known = sorted({c.recipient_id for c in clients.consents_of(deps, client_id, by=client_id)})
    return render(
        request, "portal/consent_new.html", who, title="Give a consent",
        form=form, problems=problems or {}, labels=_FORM_LABELS, known_recipients=known,
        categories=list(Category), purposes=CONSENT_PURPOSES, special=SPECIAL_NOTES,
        preview=preview_of(form, client_id, deps.clock.now()) if problems else Preview(),
        status_code=status_code,
    )  # fmt: skip


_Recipient = Annotated[str, Form(max_length=200)]
_Effect = Annotated[str, Form(max_length=20)]
_Codes = Annotated[list[str] | None, Form()]
_Day = Annotated[str, Form(max_length=20)]


@router.get("/consents/new")
def new_consent_page(request: Request, who: Viewer) -> Response:
    """The form to give a consent (or a refusal)."""
    _own(who)
    return _consent_form_page(request, who, ConsentForm())


@router.post("/consents/new")
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
    client_id = _own(who)
    deps = deps_of(request)
    form = _form(
        recipient=recipient, effect=effect, categories=categories, purposes=purposes,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip
    got = _check(form, client_id, deps.clock.now())
    if got.consent is None:
        return _consent_form_page(request, who, form, got.problems, 422)
    try:
        consents.grant_consent(deps, got.consent, by=client_id)
    except InvalidValue as e:
        problems = {_FORM_FIELDS.get(e.field, ""): sentence(e.problem)}
        return _consent_form_page(request, who, form, problems, 422)
    return RedirectResponse("/portal/consents?done=given", status_code=303)


@router.post("/consents/preview")
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
    client_id = _own(who)
    form = _form(
        recipient=recipient, effect=effect, categories=categories, purposes=purposes,
        starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip
    preview = preview_of(form, client_id, deps_of(request).clock.now())
    return render(request, "portal/_preview.html", who, title="Preview", preview=preview)


@dataclass(frozen=True, slots=True)
class NarrowForm:
    """What the narrowing form holds: the categories and purposes kept, and the last day."""

    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    ends_on: str


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
    if form is None:
        form = NarrowForm(
            tuple(c.value for c in consent.categories),
            tuple(p.value for p in consent.purposes),
            _last_day(consent.period.end),
        )
    return render(
        request, "portal/narrow.html", who, title="Narrow a consent",
        consent=consent, view=consent_view(consent, now, replaced=False), form=form,
        problems=problems or {}, labels=_FORM_LABELS,
        categories=sorted(consent.categories, key=lambda c: c.sensitivity),
        purposes=sorted(consent.purposes, key=list(Purpose).index),
        status_code=status_code,
    )  # fmt: skip


@router.get("/consents/{consent_id}/narrow")
def narrow_page(request: Request, who: Viewer, consent_id: str) -> Response:
    """The form to narrow a consent: fewer parts of the record, fewer purposes, an earlier end."""
    client_id = _own(who)
    consent = clients.consent_of(deps_of(request), consent_id, by=client_id)
    return _narrow_page(request, who, consent)


def _narrowing(
    consent: Consent, form: NarrowForm, now: datetime
) -> tuple[frozenset[Category], frozenset[Purpose], datetime | None]:
    """The narrower consent's categories, purposes and end; InvalidValue names the field."""
    cats = _codes(Category, form.categories, "categories", tuple(consent.categories))
    if not cats:
        raise InvalidValue(
            "categories",
            "Keep at least one part of your record. To stop sharing altogether, revoke the "
            "consent instead.",
        )
    purposes = _codes(Purpose, form.purposes, "purposes", tuple(consent.purposes))
    if not purposes:
        raise InvalidValue(
            "purposes",
            "Keep at least one purpose. To stop sharing altogether, revoke the consent instead.",
        )
    end: datetime | None = None
    last = _date(form.ends_on, "ends_on")
    if last is not None and form.ends_on.strip() != _last_day(consent.period.end):
        end = _midnight(last + timedelta(days=1))
        if end <= now:
            raise InvalidValue(
                "ends_on", "This day has passed. To end the consent now, revoke it instead."
            )
        if consent.period.end is not None and end >= consent.period.end:
            raise InvalidValue(
                "ends_on",
                "This is not earlier than the consent's last day. Here a consent can only be "
                "made shorter; to extend it, give a new consent.",
            )
    if cats == consent.categories and purposes == consent.purposes and end is None:
        raise InvalidValue(
            "",
            "Nothing was changed. Uncheck what the consent should no longer cover, or choose "
            "an earlier last day.",
        )
    return cats, purposes, end


@router.post("/consents/{consent_id}/narrow")
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
    client_id = _own(who)
    deps = deps_of(request)
    consent = clients.consent_of(deps, consent_id, by=client_id)
    form = NarrowForm(tuple(categories or ()), tuple(purposes or ()), ends_on)
    try:
        cats, kept, end = _narrowing(consent, form, deps.clock.now())
        consents.narrow_consent(
            deps, consent_id, by=client_id, categories=cats, purposes=kept, end=end
        )
    except InvalidValue as e:
        name = e.field if e.field in _FORM_LABELS else _FORM_FIELDS.get(e.field, "")
        return _narrow_page(
            request, who, consent, form=form, problems={name: sentence(e.problem)}, status_code=422
        )
    return RedirectResponse("/portal/consents?done=narrowed", status_code=303)


# Who saw my record --------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"k([0-9]{1,20})\.([0-9]{1,20})")
OUTCOMES = ("all", "allowed", "refused")


def _key(e: history.HistoryEntry) -> tuple[int, int]:
    """An entry's place in the newest-first order: its time (microseconds) and chain seq."""
    return (e.at - _EPOCH) // timedelta(microseconds=1), e.seq


def _cursor(e: history.HistoryEntry) -> str:
    at, seq = _key(e)
    return base64.urlsafe_b64encode(f"k{at}.{seq}".encode()).decode()


def _position(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii"))
    except (ValueError, UnicodeError):
        found = None
    if found is None:
        raise InvalidValue("cursor", "This is not a page of the list; start from the newest.")
    return int(found.group(1)), int(found.group(2))


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One access, for the table."""

    at: datetime
    who: str
    what: str
    why: str
    tag: str
    outcome: str
    detail: str


def _row(e: history.HistoryEntry) -> AccessRow:
    head, _, rule = e.outcome.partition(" - ")
    if e.allowed and head.startswith("allowed in part"):
        tag, outcome = "warn", "Allowed in part"
        detail = f"{head.removeprefix('allowed in part').strip(' ()')}; {rule}"
    elif e.allowed:
        tag, outcome, detail = "good", "Allowed", rule
    elif e.effect == "deny":
        tag, outcome, detail = "bad", "Refused", rule
    else:
        tag, outcome, detail = "warn", "Failed", rule
    return AccessRow(e.at, e.who, e.what, e.why or "—", tag, outcome, detail)


def _keep(e: history.HistoryEntry, outcome: str, before: datetime | None) -> bool:
    if before is not None and e.at >= before:
        return False
    if outcome == "allowed":
        return e.allowed
    if outcome == "refused":
        return e.effect == "deny"
    return True


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
    client_id = _own(who)
    filters = {"from": from_, "to": to, "outcome": outcome}
    problems: dict[str, str] = {}
    since = before = None
    try:
        first = _date(from_, "from")
        last = _date(to, "to")
        since = None if first is None else _midnight(first)
        before = None if last is None else _midnight(last + timedelta(days=1))
        if since is not None and before is not None and before <= since:
            raise InvalidValue("to", "This is before the 'From' day; choose a later day.")
        if outcome not in OUTCOMES:
            raise InvalidValue("outcome", "Please choose one of the options in the list.")
    except InvalidValue as e:
        problems[e.field] = e.problem
    if problems:
        return render(
            request, "portal/access.html", who, title="Who saw my record",
            filters=filters, problems=problems, rows=[], intact=None, older=None, newest=None,
            status_code=422,
        )  # fmt: skip
    after = _position(cursor)
    h = history.access_history(deps_of(request), client_id=client_id, by=client_id, since=since)
    kept = [
        e for e in h.entries if _keep(e, outcome, before) and (after is None or _key(e) < after)
    ]
    page = kept[:PAGE_SIZE]
    shown = {k: v for k, v in filters.items() if v and not (k == "outcome" and v == "all")}
    older = None
    if len(kept) > PAGE_SIZE:
        older = f"/portal/access?{urlencode({**shown, 'cursor': _cursor(page[-1])})}"
    newest = None
    if after is not None:
        newest = "/portal/access" + (f"?{urlencode(shown)}" if shown else "")
    return render(
        request, "portal/access.html", who, title="Who saw my record",
        filters=filters, problems=problems, rows=[_row(e) for e in page],
        intact=h.chain_intact, older=older, newest=newest,
    )  # fmt: skip


# Disclosures --------------------------------------------------------------------------------


@router.get("/accounting")
def accounting_page(request: Request, who: Viewer) -> Response:
    """My accounting of disclosures (HIPAA 45 CFR 164.528)."""
    client_id = _own(who)
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
    client_id = _own(who)
    deps = deps_of(request)
    h = history.access_history(deps, client_id=client_id, by=client_id)
    a = history.accounting_of_disclosures(deps, client_id=client_id, by=client_id)
    history.record_export(deps, client_id=client_id, by=client_id, form="pdf")
    return _pdf(history_pdf(h, a), "accounting-of-disclosures.pdf")


# My record ----------------------------------------------------------------------------------


@router.get("/record")
def record_page(request: Request, who: Viewer) -> Response:
    """The right of access to one's own record, and the download."""
    _own(who)
    return render(request, "portal/record.html", who, title="My record")


@router.get("/record.pdf")
def record_pdf(request: Request, who: Viewer) -> Response:
    """My own record as a PDF: what a client's own request may see (read and logged as such)."""
    client_id = _own(who)
    pdf = own_record_pdf(deps_of(request), client_id=client_id, by=client_id)
    return _pdf(pdf, "my-record.pdf")
