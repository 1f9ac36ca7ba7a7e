"""Search parameters: exactly the ones each search lists, everything else refused by name.

Reverse chaining (``_has``), chained parameters (``patient.name``), modifiers (``patient:missing``)
and ``_include``/``_revinclude`` would let a search reach resources the services never decided
on, so they are refused with a 400 OperationOutcome naming the parameter; so is any parameter a
search does not list. The parameter's name is echoed only when it is a plain name; its value
never is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confide.api.fhir.codes import is_fhir_id
from confide.domain import ConfideError

MAX_COUNT = 100
DEFAULT_COUNT = 50
MAX_OFFSET = 1_000_000
PAGING = ("_count", "_offset")

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")
_INTEGER = re.compile(r"[0-9]{1,7}")


class Unsupported(ConfideError):
    """A search parameter, header or value the facade does not support (400)."""


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of the matches to return: at most ``count`` from ``offset``."""

    count: int
    offset: int

    @property
    def window(self) -> slice:
        """The slice of the matches this page covers."""
        return slice(self.offset, self.offset + self.count)


@dataclass(frozen=True, slots=True)
class Search:
    """The parameters of one search, checked."""

    values: Mapping[str, tuple[str, ...]]
    page: Page

    def one(self, name: str) -> str | None:
        """The value of a parameter given at most once."""
        found = self.values.get(name, ())
        return found[0] if found else None

    def all(self, name: str) -> tuple[str, ...]:
        """Every value of a parameter."""
        return self.values.get(name, ())


def shown(name: str) -> str:
    """The parameter's name as an answer may quote it."""
    return repr(name) if _PLAIN_NAME.fullmatch(name) else "a parameter with an unusual name"


def parse_search(items: Iterable[tuple[str, str]], allowed: Mapping[str, int]) -> Search:
    """Check the query against ``allowed`` (name → how many times it may appear)."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        _check_name(name, allowed)
        if not value:
            raise Unsupported(f"search parameter {shown(name)} has no value; give one")
        if "," in value:
            raise Unsupported(
                f"search parameter {shown(name)}: a list of values (a,b) is not supported; "
                "give one value"
            )
        values.setdefault(name, []).append(value)
    for name, found in values.items():
        if len(found) > allowed[name]:
            times = "once" if allowed[name] == 1 else f"at most {allowed[name]} times"
            raise Unsupported(f"search parameter {shown(name)} may be given {times}")
    page = Page(_count(values.get("_count")), _offset(values.get("_offset")))
    return Search({k: tuple(v) for k, v in values.items() if k not in PAGING}, page)


def _check_name(name: str, allowed: Mapping[str, int]) -> None:
    supported = ", ".join(sorted(allowed))
    if name == "_has" or name.startswith("_has:"):
        raise Unsupported(
            "search parameter '_has' (reverse chaining) is not supported: it would search "
            "resources no one decided you may see"
        )
    if name in ("_include", "_revinclude") or name.startswith(("_include:", "_revinclude:")):
        raise Unsupported(
            f"search parameter {shown(name)} is not supported: no other resources are included; "
            "read or search each resource type on its own"
        )
    if "." in name:
        raise Unsupported(
            f"search parameter {shown(name)}: chained parameters are not supported; "
            f"supported here: {supported}"
        )
    if ":" in name:
        raise Unsupported(
            f"search parameter {shown(name)}: modifiers are not supported; "
            f"supported here: {supported}"
        )
    if not allowed:
        raise Unsupported(f"parameter {shown(name)} is not supported: this takes no parameters")
    if name not in allowed:
        raise Unsupported(
            f"search parameter {shown(name)} is not supported here; supported: {supported}"
        )


def _count(given: list[str] | None) -> int:
    if not given:
        return DEFAULT_COUNT
    if not _INTEGER.fullmatch(given[0]):
        raise Unsupported("search parameter '_count' must be a whole number, 0 or more")
    return min(int(given[0]), MAX_COUNT)


def _offset(given: list[str] | None) -> int:
    if not given:
        return 0
    if not _INTEGER.fullmatch(given[0]) or int(given[0]) > MAX_OFFSET:
        raise Unsupported(
            "search parameter '_offset' must be a whole number from a next or previous link"
        )
    return int(given[0])


def whole_number(search: Search, name: str) -> int | None:
    """A parameter that must be a whole number (such as a paging link's ``_snapshot``)."""
    value = search.one(name)
    if value is None:
        return None
    if not _INTEGER.fullmatch(value):
        raise Unsupported(f"search parameter {shown(name)} must be a whole number")
    return int(value)


def patient_of(search: Search) -> str:
    """The patient a search is about: ``Patient/<id>`` or a bare ``<id>``; required."""
    value = search.one("patient")
    if value is None:
        raise Unsupported(
            "search parameter 'patient' is required: search one client's resources, "
            "patient=Patient/<id>"
        )
    patient_id = value.removeprefix("Patient/")
    if not is_fhir_id(patient_id):
        raise Unsupported(
            "search parameter 'patient' must be Patient/<id> or <id>, the id being 1 to 64 "
            "letters, digits, '-' or '.'"
        )
    return patient_id
