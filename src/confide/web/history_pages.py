"""Who saw my record, a page at a time: the filters, the rows, and the links between pages.

The list is newest first. A page's link to older entries carries an opaque cursor (the last
entry's time and chain seq), never anything clinical; a cursor not made here is refused.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from confide.domain import InvalidValue
from confide.services.history import HistoryEntry, HistoryPage, Position, position_of
from confide.web.days import midnight, read_date

ACCESS_PATH = "/portal/access"
PAGE_SIZE = 50
OUTCOMES = ("all", "allowed", "refused")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"k([0-9]{1,20})\.([0-9]{1,20})")


@dataclass(frozen=True, slots=True)
class AccessFilter:
    """The entries asked for: from ``since``, before ``before``, with which outcome."""

    since: datetime | None
    before: datetime | None
    outcome: str


def read_filter(from_: str, to: str, outcome: str) -> AccessFilter:
    """The filter form's fields as a filter; InvalidValue names the first field that is wrong."""
    first = read_date(from_, "from")
    last = read_date(to, "to")
    since = None if first is None else midnight(first)
    before = None if last is None else midnight(last + timedelta(days=1))
    if since is not None and before is not None and before <= since:
        raise InvalidValue("to", "This is before the 'From' day; choose a later day.")
    if outcome not in OUTCOMES:
        raise InvalidValue("outcome", "Please choose one of the options in the list.")
    return AccessFilter(since, before, outcome)


def _key(e: HistoryEntry) -> tuple[int, int]:
    """An entry's place in the newest-first order: its time (microseconds) and chain seq."""
    return (e.at - _EPOCH) // timedelta(microseconds=1), e.seq


def _cursor(e: HistoryEntry) -> str:
    at, seq = _key(e)
    return base64.urlsafe_b64encode(f"k{at}.{seq}".encode()).decode()


def read_cursor(cursor: str | None) -> Position | None:
    """Where a page starts (None for the newest); InvalidValue for a cursor not made here."""
    if not cursor:
        return None
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii"))
    except (ValueError, UnicodeError):
        found = None
    if found is None:
        raise InvalidValue("cursor", "This is not a page of the list; start from the newest.")
    position = position_of(int(found.group(1)), int(found.group(2)))
    if position is None:
        raise InvalidValue("cursor", "This is not a page of the list; start from the newest.")
    return position


def effect_of(outcome: str) -> str | None:
    """The audit effect a chosen outcome keeps: allowed is ``permit``, refused ``deny``."""
    return {"allowed": "permit", "refused": "deny"}.get(outcome)


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


def _row(e: HistoryEntry) -> AccessRow:
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


@dataclass(frozen=True, slots=True)
class AccessPage:
    """One page of the table, with the links to older entries and back to the newest."""

    rows: list[AccessRow]
    older: str | None
    newest: str | None


def access_page_of(
    found: HistoryPage, after: Position | None, filters: dict[str, str]
) -> AccessPage:
    """The rows of a page the service read (already filtered and started after ``after``);
    the links keep the ``filters`` as typed, leaving out empty ones and the default outcome."""
    page = found.entries
    shown = {k: v for k, v in filters.items() if v and not (k == "outcome" and v == "all")}
    older = None
    if found.more and page:
        older = f"{ACCESS_PATH}?{urlencode({**shown, 'cursor': _cursor(page[-1])})}"
    newest = None
    if after is not None:
        newest = ACCESS_PATH + (f"?{urlencode(shown)}" if shown else "")
    return AccessPage([_row(e) for e in page], older, newest)
