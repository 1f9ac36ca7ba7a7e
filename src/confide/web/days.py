"""Days as forms type them and people read them: a date field's text, a day's first moment.

A "last day" a person chooses is included: a period ending on it ends at the next midnight (UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from confide.domain import InvalidValue
from confide.domain.validation import EARLIEST_YEAR, LATEST_YEAR


def read_date(text: str, name: str) -> date | None:
    """The date typed in field ``name`` (None when empty); InvalidValue names the field."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, "This is not a date; use the form YYYY-MM-DD.") from None
    # The domain's range: a last day of 9999-12-31 has no midnight after it to end on.
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidValue(name, f"Choose a day between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return day


def midnight(d: date) -> datetime:
    """The first moment of day ``d`` (UTC)."""
    return datetime.combine(d, time(0), tzinfo=UTC)


def is_midnight(at: datetime) -> bool:
    """Whether ``at`` is the first moment of a day (UTC)."""
    return at.astimezone(UTC).time() == time(0)


def last_day(end: datetime | None) -> str:
    """The 'Last day' a date field shows for an end (the day before a midnight end)."""
    if end is None:
        return ""
    return (end.astimezone(UTC) - timedelta(microseconds=1)).date().isoformat()
