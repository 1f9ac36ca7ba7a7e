"""Checks shared by the domain values' constructors.

Each check either returns the value in its canonical form or raises :class:`InvalidValue`
naming the field, so every value object refuses bad input the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from confide.domain.errors import InvalidValue

E = TypeVar("E", bound=StrEnum)

# Opaque identifiers only: no names, no free text, so an id is safe in a URL or a log line.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def require_id(value: object, field: str) -> str:
    """Return ``value`` if it is an opaque id (letters, digits, ``_.:-``; 1 to 64 characters)."""
    if not isinstance(value, str) or _ID_PATTERN.fullmatch(value) is None:
        raise InvalidValue(
            field,
            "must be an opaque id of 1 to 64 letters, digits or '_.:-', starting with a "
            "letter or digit",
        )
    return value


EARLIEST_YEAR = 1900
LATEST_YEAR = 9000


def require_aware(value: object, field: str) -> datetime:
    """Return ``value`` as UTC if it is a timezone-aware datetime.

    Normalising to UTC matters: Python compares two datetimes that share a ``tzinfo`` by wall
    clock, ignoring ``fold``, and adds timedeltas in wall-clock time, so across a daylight-saving
    change a local time could slip past a revocation or stretch an emergency window.
    """
    if not isinstance(value, datetime):
        raise InvalidValue(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "must carry a timezone (for example 2026-01-31T09:00:00+00:00)")
    # A record's times lie within living memory; the extremes would overflow on arithmetic.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidValue(field, f"must fall between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value.astimezone(UTC)


def require_optional_aware(value: object, field: str) -> datetime | None:
    """Return ``value`` if it is None or a timezone-aware datetime."""
    return None if value is None else require_aware(value, field)


def parse_code(enum: type[E], value: object, field: str) -> E:
    """Return the member of ``enum`` that ``value`` names, or refuse it naming the allowed codes."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    # The rejected value is not echoed: it may be free text typed into the wrong field.
    raise InvalidValue(field, "is not a known code", allowed=[m.value for m in enum])


def parse_codes(
    enum: type[E], values: object, field: str, *, allow_empty: bool = False
) -> frozenset[E]:
    """Return a frozenset of ``enum`` members from an iterable of codes; empty is refused."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidValue(field, "must be a collection of codes", allowed=[m.value for m in enum])
    parsed = frozenset(parse_code(enum, v, field) for v in values)
    if not parsed and not allow_empty:
        raise InvalidValue(field, "must name at least one code", allowed=[m.value for m in enum])
    return parsed


def require_text(value: object, field: str, *, max_length: int = 2000) -> str:
    """Return ``value`` if it is non-blank text of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field, "must be non-empty text")
    if len(value) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return value
