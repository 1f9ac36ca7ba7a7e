"""A client's access history as AuditEvents, and the ``date`` search over it.

Each entry becomes the AuditEvent ``services.history_export`` already builds for the history's
FHIR export (one mapping for both); ``date`` searches ``AuditEvent.recorded``.

``date`` takes FHIR's prefixes ``eq`` (the default), ``ge``, ``gt``, ``le`` and ``lt`` on a value
of year, month, day or date-time precision; the value stands for the whole span of its
precision (``2026-03`` is all of March, ``le2026-03`` up to its end). Dates without a time are
UTC days; a time needs a timezone. ``ne``, ``sa``, ``eb`` and ``ap`` are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent

from confide.api.fhir.params import Unsupported
from confide.domain.validation import EARLIEST_YEAR, LATEST_YEAR
from confide.services.history import AccessHistory, HistoryEntry
from confide.services.history_export import history_fhir_bundle

_DATE = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,6})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)
PREFIXES = ("eq", "ge", "gt", "le", "lt")


@dataclass(frozen=True, slots=True)
class DateTest:
    """One ``date`` parameter: a prefix and the span ``[start, end)`` its value stands for."""

    prefix: str
    start: datetime
    end: datetime

    def admits(self, at: datetime) -> bool:
        """True if an event recorded at ``at`` matches."""
        checks = {
            "eq": self.start <= at < self.end,
            "ge": at >= self.start,
            "gt": at >= self.end,
            "le": at < self.end,
            "lt": at < self.start,
        }
        return checks[self.prefix]

    @property
    def earliest(self) -> datetime | None:
        """The earliest time that can match, if the test has a lower bound."""
        return {"eq": self.start, "ge": self.start, "gt": self.end}.get(self.prefix)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """Every ``date`` test of a search; an event must pass them all."""

    tests: tuple[DateTest, ...]

    @classmethod
    def parse(cls, values: Sequence[str]) -> DateWindow:
        """The window the ``date`` values describe, or a refusal naming ``date``."""
        return cls(tuple(date_test(v) for v in values))

    def admits(self, at: datetime) -> bool:
        """True if ``at`` passes every test."""
        return all(t.admits(at) for t in self.tests)

    @property
    def since(self) -> datetime | None:
        """The latest lower bound, so the history is read from there on."""
        bounds = [b for t in self.tests if (b := t.earliest) is not None]
        return max(bounds) if bounds else None


def date_test(value: str) -> DateTest:
    """A ``date`` parameter's value, as a test."""
    match = _DATE.fullmatch(value)
    if match is None:
        raise Unsupported(
            "search parameter 'date' must be [prefix]YYYY[-MM[-DD[Thh:mm[:ss]+zone]]], "
            f"prefix one of {', '.join(PREFIXES)}"
        )
    prefix = match["prefix"] or "eq"
    if prefix not in PREFIXES:
        raise Unsupported(
            f"search parameter 'date': the prefix {prefix!r} is not supported; use one of "
            f"{', '.join(PREFIXES)}"
        )
    try:
        start, end = _span(match)
    except (ValueError, OverflowError):  # 9999-12-31 has no day after it
        raise Unsupported("search parameter 'date' is not a real date or time") from None
    if not EARLIEST_YEAR <= start.year <= LATEST_YEAR:
        raise Unsupported(
            f"search parameter 'date' must fall between {EARLIEST_YEAR} and {LATEST_YEAR}"
        )
    return DateTest(prefix, start, end)


def _span(m: re.Match[str]) -> tuple[datetime, datetime]:
    year = int(m["year"])
    if m["month"] is None:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month = int(m["month"])
    start = datetime(year, month, 1, tzinfo=UTC)
    if m["day"] is None:
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return start, after
    day = start.replace(day=int(m["day"]))
    if m["hour"] is None:
        return day, day + timedelta(days=1)
    if m["zone"] is None:
        raise Unsupported("search parameter 'date': a time needs a timezone (Z or +hh:mm)")
    zone = "+00:00" if m["zone"] == "Z" else m["zone"]
    text = f"{m['year']}-{m['month']}-{m['day']}T{m['hour']}:{m['minute']}"
    text += f":{m['second'] or '00'}{m['fraction'] or ''}{zone}"
    at = datetime.fromisoformat(text).astimezone(UTC)
    if m["second"] is None:
        return at, at + timedelta(minutes=1)
    if m["fraction"] is None:
        return at, at + timedelta(seconds=1)
    return at, at + timedelta(microseconds=10 ** (7 - len(m["fraction"])))


@dataclass(frozen=True, slots=True)
class Matches:
    """The entries a search matches, and the snapshot its paging links keep."""

    entries: tuple[HistoryEntry, ...]
    snapshot: int


def matching(history: AccessHistory, window: DateWindow, snapshot: int | None) -> Matches:
    """The entries in ``window``, up to the entry numbered ``snapshot`` when given.

    Every search is itself logged on the client's chain, at the head of this newest-first
    list, so later pages would shift by one entry per page read. The first page pins the
    newest entry's number (``_snapshot``) and its links carry it, so a client following them
    sees each entry of the search exactly once.
    """
    newest = max((e.seq for e in history.entries), default=0)
    pinned = newest if snapshot is None else snapshot
    kept = tuple(e for e in history.entries if e.seq <= pinned and window.admits(e.at))
    return Matches(kept, pinned)


def audit_events(history: AccessHistory, entries: Sequence[HistoryEntry]) -> list[AuditEvent]:
    """``entries`` of ``history`` as AuditEvents, in the order given."""
    part = replace(history, entries=tuple(entries))
    bundle: dict[str, Any] = history_fhir_bundle(part, history.client_id)
    return [AuditEvent.model_validate(e["resource"]) for e in bundle.get("entry", [])]
