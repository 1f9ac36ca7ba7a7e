"""The client's consent forms: giving a consent (with its live preview) and narrowing one.

A form's fields arrive as typed; each is checked on its own so every problem can sit beside its
field, then the whole is checked by the domain's own rules (``Consent``). The services' field
names map back to the form's (``FORM_FIELDS``), so their refusals are placed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from confide.domain import Category, Consent, Effect, InvalidValue, Period, Purpose
from confide.domain.validation import require_id
from confide.services.deps import new_id
from confide.web.consent_words import category_words, purpose_words, until_words
from confide.web.days import last_day, midnight, read_date
from confide.web.pages import day

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
FORM_FIELDS = {
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
FORM_LABELS = {
    "recipient": "Who",
    "effect": "Let them see, or refuse them",
    "categories": "Which parts of your record",
    "purposes": "For what",
    "starts_on": "First day",
    "ends_on": "Last day",
    "": "This consent",
}

_Code = TypeVar("_Code", Category, Purpose)
_NOT_OFFERED = "This holds a choice the form does not offer; please choose from the list."


def sentence(problem: str) -> str:
    """A service's problem ('must be ...') as a sentence beside its field ('Must be ...')."""
    text = problem.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


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


def consent_form(
    *,
    recipient: str,
    effect: str,
    categories: list[str] | None,
    purposes: list[str] | None,
    starts_on: str,
    ends_on: str,
) -> ConsentForm:
    """The form's fields as posted (a list left unchecked arrives as None)."""
    return ConsentForm(
        recipient, effect, tuple(categories or ()), tuple(purposes or ()), starts_on, ends_on
    )


def _start(text: str, now: datetime) -> datetime:
    """The first day: now for empty or today (yesterday too, for clocks west of UTC)."""
    first = read_date(text, "starts_on")
    today = now.astimezone(UTC).date()
    if first is None or first == today or first == today - timedelta(days=1):
        return now
    if first < today:
        raise InvalidValue(
            "starts_on", "This day has passed. Leave it empty to start now, or choose a later day."
        )
    return midnight(first)


def _end(text: str, start: datetime) -> datetime | None:
    """The end of the last day (the consent covers all of that day)."""
    last = read_date(text, "ends_on")
    if last is None:
        return None
    end = midnight(last + timedelta(days=1))
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
class Checked:
    """The consent form checked field by field: each problem under its field's name."""

    recipient: str | None = None
    effect: Effect | None = None
    categories: frozenset[Category] = frozenset()
    purposes: frozenset[Purpose] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    consent: Consent | None = None  # set when every field is right
    problems: dict[str, str] = field(default_factory=dict)


def _check_recipient(form: ConsentForm, got: Checked) -> None:
    recipient = form.recipient.strip()
    if not recipient:
        got.problems["recipient"] = "Please say who this consent is for."
        return
    try:
        got.recipient = require_id(recipient, "recipient")
    except InvalidValue:
        got.problems["recipient"] = (
            "This is not an id the practice gives: use letters, digits and '_.:-' only, "
            "as the practice wrote it for you."
        )


def _check_fields(form: ConsentForm, now: datetime, got: Checked) -> None:
    """Each field on its own; a problem goes under the field's name."""
    _check_recipient(form, got)
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


def check_consent(form: ConsentForm, client_id: str, now: datetime) -> Checked:
    """Check the form field by field, then as a whole consent (the domain's own rules)."""
    got = Checked()
    _check_fields(form, now, got)
    if got.problems or got.recipient is None or got.effect is None or got.start is None:
        return got
    try:
        got.consent = Consent(
            new_id("consent"), client_id, got.recipient, got.categories, got.purposes,
            Period(got.start, got.end, name="consent.period"), effect=got.effect,
        )  # fmt: skip
    except InvalidValue as e:
        got.problems[FORM_FIELDS.get(e.field, "")] = sentence(e.problem)
    return got


def preview_of(form: ConsentForm, client_id: str, now: datetime) -> Preview:
    """What the consent in the form would do, or what the form still needs."""
    got = check_consent(form, client_id, now)
    if got.consent is None or got.recipient is None or got.start is None:
        missing = tuple(FORM_LABELS[f] for f in FORM_LABELS if f in got.problems)
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


# Narrowing a consent ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NarrowForm:
    """What the narrowing form holds: the categories and purposes kept, and the last day."""

    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    ends_on: str


def narrow_form_of(consent: Consent) -> NarrowForm:
    """The narrowing form as it first shows: everything the consent covers now."""
    return NarrowForm(
        tuple(c.value for c in consent.categories),
        tuple(p.value for p in consent.purposes),
        last_day(consent.period.end),
    )


def _narrower_end(consent: Consent, form: NarrowForm, now: datetime) -> datetime | None:
    """The new end, when the last day was changed; only ever earlier, never past."""
    last = read_date(form.ends_on, "ends_on")
    if last is None or form.ends_on.strip() == last_day(consent.period.end):
        return None
    end = midnight(last + timedelta(days=1))
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
    return end


def narrowing(
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
    end = _narrower_end(consent, form, now)
    if cats == consent.categories and purposes == consent.purposes and end is None:
        raise InvalidValue(
            "",
            "Nothing was changed. Uncheck what the consent should no longer cover, or choose "
            "an earlier last day.",
        )
    return cats, purposes, end
