"""Plain words for reasons: dates, actions and lists a client can read. Ids only, never content."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from confide.domain.codes import Action, Category


def day(at: datetime) -> str:
    """A date as YYYY-MM-DD."""
    return at.date().isoformat()


def moment(at: datetime) -> str:
    """A date and time to the minute, with its offset."""
    return at.isoformat(timespec="minutes")


def verb(action: Action) -> str:
    """The action as a verb."""
    return "read and write" if action is Action.WRITE else "see"


def category_list(categories: Iterable[Category]) -> str:
    """Categories in sensitivity order, in plain words."""
    return ", ".join(c.label for c in sorted(categories, key=lambda c: c.sensitivity))
