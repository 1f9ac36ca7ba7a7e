"""Errors the use cases raise; shells map each once.

ConfideError
├── NotFoundOrDenied   the same answer for "does not exist" and "may not see it"
└── Conflict           the change collides with the current state (already revoked, …)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from confide.domain.errors import ConfideError


class NotFoundOrDenied(ConfideError):
    """Nothing to show. Never says whether the client or record exists."""

    def __init__(self) -> None:
        super().__init__("not found, or you may not see it")


class Conflict(ConfideError):
    """The request collides with the current state; the message says how."""


@contextmanager
def conflicts_as(message: str) -> Iterator[None]:
    """Turn the database's uniqueness refusal (a race two checks cannot close) into a Conflict."""
    try:
        yield
    except IntegrityError:
        raise Conflict(message) from None
