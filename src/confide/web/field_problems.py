"""A service's refusal placed on a clinician's form: beside its field, or over the whole form
when it names none of the form's fields."""

from __future__ import annotations

from collections.abc import Callable

from confide.domain import InvalidValue


def field_problems(
    error: InvalidValue | None, field_of: Callable[[str], str | None], fields: frozenset[str]
) -> tuple[dict[str, str], str | None]:
    """The problem by form field, or as a whole when it names none of the form's fields."""
    if error is None:
        return {}, None
    name = field_of(error.field)
    if name in fields:
        return {name: _sentence(error.problem)}, None
    return {}, _sentence(error.problem)


def _sentence(problem: str) -> str:
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith((".", ")")) else text + "."
