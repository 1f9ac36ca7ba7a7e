"""A client's record as a clinician's page shows it: the entries by category, and for each
category withheld, why (the decision's reason, rule and citations).

Every read goes through ``records.read_records``, which decides and audits it. Psychotherapy
notes are read on their own (HIPAA 164.508(a)(2)), never with the rest of the record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from confide.domain import Category, Purpose
from confide.domain.validation import require_id
from confide.services import clients, records
from confide.services.accounts import Principal
from confide.services.clients import ClientSummary
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.services.records import Entry, RecordView

# Every category but psychotherapy notes, which are asked for on their own page (HIPAA
# 164.508(a)(2)); in the design's order of sensitivity.
ROUTINE = tuple(c for c in Category if c is not Category.PSYCHOTHERAPY_NOTE)
APART = Category.PSYCHOTHERAPY_NOTE


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


def groups(view: RecordView, categories: tuple[Category, ...]) -> list[Group]:
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


def summary_or_none(deps: Deps, client_id: str, who: Principal) -> ClientSummary | None:
    """The client's summary, or None when ``who`` may not see it (or there is no such client)."""
    try:
        return clients.client_summary(deps, client_id, by=who.actor_id)
    except NotFoundOrDenied:
        return None


def read_or_none(
    deps: Deps,
    client_id: str,
    who: Principal,
    categories: frozenset[Category],
    purpose: Purpose = Purpose.TREAT,
) -> RecordView | None:
    """The record's ``categories`` as ``who`` may read them for ``purpose``, or None."""
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


def entry_of(deps: Deps, who: Principal, client_id: str, record_id: str) -> Entry:
    """The latest version of one entry, as its reader may see it: only that entry's category
    is decided and read (minimum necessary), and it must be the client's the page names."""
    require_id(client_id, "client")
    owner, entry = records.read_record(deps, actor_id=who.actor_id, record_id=record_id)
    if owner != client_id:
        raise NotFoundOrDenied  # the page would name another client than the record's
    return entry
