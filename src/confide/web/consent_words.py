"""Consents in plain words: what each one lets whom see, for what and how long, and where it
stands now (in force, upcoming, revoked, replaced by a narrower one, or ended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from confide.domain import Category, Consent, ConsentStatus, Effect, Purpose
from confide.web.days import is_midnight
from confide.web.pages import day, when


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


def until_words(end: datetime | None) -> str:
    """How long a consent lasts: a last day people read as included."""
    if end is None:
        return "until you revoke it"
    if is_midnight(end):
        return f"until the end of {day(end - timedelta(days=1))}"
    return f"until {when(end)}"


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


def _standing(c: Consent, status: ConsentStatus, replaced: bool) -> tuple[str, str, str]:
    """Where a consent stands: its state, the words for it, and the tag that colours them."""
    if status is ConsentStatus.ACTIVE:
        return "active", "In force", "good"
    if status is ConsentStatus.NOT_YET_ACTIVE:
        return "upcoming", f"Starts on {day(c.period.start)}", "warn"
    if status is ConsentStatus.REVOKED and replaced:
        return "replaced", f"Replaced by a narrower consent on {when(c.revoked_at)}", ""
    if status is ConsentStatus.REVOKED:
        return "revoked", f"Revoked on {when(c.revoked_at)}", "bad"
    return "expired", f"Ended on {when(c.period.end)}", ""


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
    state, words, tag = _standing(c, status, replaced)
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


def consent_views(all_consents: list[Consent], now: datetime) -> list[ConsentView]:
    """Every consent in plain words, newest first."""
    replaced = _replaced_ids(all_consents)
    newest_first = sorted(all_consents, key=lambda c: c.period.start, reverse=True)
    return [consent_view(c, now, c.id in replaced) for c in newest_first]
