"""Errors of the domain core.

Every error confide raises on purpose derives from :class:`ConfideError`, so a shell maps them
once (to an HTTP status, a CLI message) and never shows a stack trace to a person.

    ConfideError
    └── InvalidValue          a value refused at construction; names the field and the fix
        └── UnknownReference  a value that names an actor, client or organisation not on file

Messages name fields, codes and opaque ids only, never client content.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfideError(Exception):
    """Base of every error confide raises on purpose."""


class InvalidValue(ConfideError, ValueError):
    """A value was refused; ``field`` names it and the message says what is allowed."""

    def __init__(self, field: str, problem: str, allowed: Iterable[str] = ()) -> None:
        self.field = field
        self.problem = problem
        self.allowed = tuple(allowed)
        message = f"{field}: {problem}"
        if self.allowed:
            message += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(message)


class UnknownReference(InvalidValue):
    """A value names something that is not on file (an actor, a client, an organisation)."""
