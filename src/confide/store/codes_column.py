"""Sets of codes stored in one text column, sorted so equal sets store equally."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


def join_codes(codes: Iterable[StrEnum]) -> str:
    """``{Category.DIAGNOSIS, Category.BILLING}`` -> ``"billing,diagnosis"``."""
    return ",".join(sorted(c.value for c in codes))


def split_codes(text: str) -> list[str]:
    """The codes of a stored column, as strings for the domain to parse."""
    return [c for c in text.split(",") if c]
