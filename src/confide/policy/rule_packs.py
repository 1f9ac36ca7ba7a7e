"""Jurisdiction rule packs: the law of the limits of confidentiality as data (decision 0013).

A pack says, for each ground (and for abuse or neglect, each kind of victim): whether the duty is
mandatory or permissive, who may approve a disclosure, which kinds of recipient the law allows,
the reporting deadline, and the citation. A state pack ``extends`` the federal baseline and sets
only what its statutes change. Packs are TOML (``src/confide/rules/``, ``docs/rule-packs.md``);
this module parses and validates their text. Reading the files is the shell's job.

Every error names the pack and the key, e.g. ``us-ca.toml: grounds.court_order.approvers``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from confide.domain.codes import ExceptionGround, Role, VictimKind
from confide.domain.disclosures import RecipientKind
from confide.domain.errors import InvalidValue

SCHEMA = 1
_PACK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
APPROVER_ROLES = frozenset({Role.SUPERVISOR, Role.PRIVACY_OFFICER})
E = TypeVar("E", bound=StrEnum)


class Duty(StrEnum):
    """Whether the law requires the disclosure or only allows it."""

    MANDATORY = "mandatory"
    PERMISSIVE = "permissive"


class RulePackError(InvalidValue):
    """A rule pack is malformed; ``field`` names the pack and the key."""


@dataclass(frozen=True, slots=True)
class Source:
    """A statute or rule a pack cites."""

    cite: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class GroundRule:
    """What one jurisdiction says about one ground (and kind of victim)."""

    duty: Duty
    approvers: frozenset[Role]
    recipients: frozenset[RecipientKind]
    cite: str
    summary: str
    initial_report: str | None = None
    report_within: timedelta | None = None


GroundKey = tuple[ExceptionGround, VictimKind | None]
GROUND_KEYS: tuple[GroundKey, ...] = (
    (ExceptionGround.IMMINENT_RISK_SELF, None),
    (ExceptionGround.IMMINENT_RISK_OTHERS, None),
    (ExceptionGround.COURT_ORDER, None),
    *((ExceptionGround.ABUSE_NEGLECT, kind) for kind in VictimKind),
)


@dataclass(frozen=True, slots=True)
class RulePack:
    """A jurisdiction's rules for the limits of confidentiality, complete and validated."""

    id: str
    name: str
    extends: str | None
    checked: date
    sources: tuple[Source, ...]
    grounds: Mapping[GroundKey, GroundRule]
    break_glass_window: timedelta
    break_glass_review_within: timedelta

    def rule(self, ground: ExceptionGround, victim_kind: VictimKind | None = None) -> GroundRule:
        """The rule for a ground; abuse or neglect needs the kind of victim."""
        key = (ground, victim_kind if ground is ExceptionGround.ABUSE_NEGLECT else None)
        if key not in self.grounds:
            raise InvalidValue(
                "disclosure.victim_kind",
                "an abuse or neglect report must say who is thought to be harmed",
                allowed=[v.value for v in VictimKind],
            )
        return self.grounds[key]

    def source(self, cite: str) -> Source:
        """The source a citation names."""
        return next(s for s in self.sources if s.cite == cite)


def key_name(key: GroundKey) -> str:
    """The TOML key of a ground: ``grounds.court_order``, ``grounds.abuse_neglect.child``."""
    ground, kind = key
    return f"grounds.{ground.value}" + ("" if kind is None else f".{kind.value}")


def parse_pack(text: str, origin: str, parent_of: Callable[[str], RulePack]) -> RulePack:
    """Parse and validate a pack's TOML text; ``parent_of`` gives the pack it extends."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulePackError(origin, f"is not valid TOML: {e}") from None
    return _Reader(origin, doc, parent_of).pack()


_TOP_KEYS = frozenset({"schema", "id", "name", "extends", "checked", "sources", "grounds"}) | {
    "break_glass"
}
_RULE_KEYS = frozenset(
    {"duty", "approvers", "recipients", "cite", "summary", "initial_report", "report_within_hours"}
)
_REQUIRED_RULE_KEYS = ("duty", "approvers", "recipients", "cite", "summary")


class _Reader:
    """Reads one pack's document, naming the key of every error."""

    def __init__(
        self, origin: str, doc: dict[str, Any], parent_of: Callable[[str], RulePack]
    ) -> None:
        self.origin = origin
        self.doc = doc
        self.parent_of = parent_of

    def error(self, key: str, problem: str, allowed: tuple[str, ...] = ()) -> RulePackError:
        return RulePackError(f"{self.origin}: {key}", problem, allowed)

    def pack(self) -> RulePack:
        doc = self.doc
        self.unknown_keys(doc, _TOP_KEYS, "")
        schema = doc.get("schema")
        if type(schema) is not int or schema != SCHEMA:
            raise self.error("schema", f"must be {SCHEMA}")
        pack_id = self.text(doc, "id")
        if not _PACK_ID.fullmatch(pack_id):
            raise self.error("id", "lowercase letters, digits and hyphens, up to 40")
        checked = doc.get("checked")
        if not isinstance(checked, date) or isinstance(checked, datetime):
            raise self.error("checked", "a date (2026-11-28): when the facts were last checked")
        parent = self.parent(doc.get("extends"))
        sources = self.sources(parent)
        cites = {s.cite for s in sources}
        grounds = self.grounds(parent, cites)
        window, review = self.break_glass(parent)
        return RulePack(
            pack_id,
            self.text(doc, "name"),
            None if parent is None else parent.id,
            checked,
            sources,
            MappingProxyType(grounds),
            window,
            review,
        )

    def parent(self, extends: object) -> RulePack | None:
        if extends is None:
            return None
        if not isinstance(extends, str) or not _PACK_ID.fullmatch(extends):
            raise self.error("extends", "the id of the pack this one builds on, e.g. us-federal")
        try:
            return self.parent_of(extends)
        except (LookupError, OSError):
            raise self.error("extends", f"no rule pack {extends!r} is installed") from None

    def sources(self, parent: RulePack | None) -> tuple[Source, ...]:
        raw = self.doc.get("sources", [])
        if not isinstance(raw, list) or (parent is None and not raw):
            raise self.error("sources", "list each statute or rule the pack cites ([[sources]])")
        own = []
        for n, item in enumerate(raw):
            where = f"sources[{n}]"
            if not isinstance(item, dict):
                raise self.error(where, "a table with cite, title and url")
            self.unknown_keys(item, frozenset({"cite", "title", "url"}), where)
            url = item.get("url")
            if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
                raise self.error(f"{where}.url", "an https:// address, or leave it out")
            own.append(Source(self.text(item, "cite", where), self.text(item, "title", where), url))
        inherited = () if parent is None else parent.sources
        return tuple(own) + tuple(s for s in inherited if s.cite not in {o.cite for o in own})

    def grounds(self, parent: RulePack | None, cites: set[str]) -> dict[GroundKey, GroundRule]:
        raw = self.doc.get("grounds", {})
        if not isinstance(raw, dict):
            raise self.error("grounds", "a table of grounds")
        allowed = [g.value for g in ExceptionGround]
        self.unknown_keys(raw, frozenset(allowed), "grounds")
        abuse = raw.get(ExceptionGround.ABUSE_NEGLECT.value, {})
        if not isinstance(abuse, dict):
            raise self.error("grounds.abuse_neglect", "a table per kind of victim")
        self.unknown_keys(abuse, frozenset(v.value for v in VictimKind), "grounds.abuse_neglect")
        out = {}
        for key in GROUND_KEYS:
            ground, kind = key
            table = raw.get(ground.value, {}) if kind is None else abuse.get(kind.value, {})
            inherited = None if parent is None else parent.grounds[key]
            if kind is None and isinstance(table, dict) and "report_within_hours" in table:
                raise self.error(
                    f"{key_name(key)}.report_within_hours",
                    "a reporting deadline applies to abuse or neglect reports only",
                )
            out[key] = self.rule(key_name(key), table, inherited, cites)
        return out

    def rule(
        self, where: str, table: object, inherited: GroundRule | None, cites: set[str]
    ) -> GroundRule:
        if not isinstance(table, dict):
            raise self.error(where, "a table of the ground's rules")
        self.unknown_keys(table, _RULE_KEYS, where)
        if inherited is None:
            missing = [k for k in _REQUIRED_RULE_KEYS if k not in table]
            if missing:
                raise self.error(
                    f"{where}.{missing[0]}", "required in a pack that extends no other"
                )
        duty = self.code(table, "duty", Duty, where) if "duty" in table else None
        approvers = self.codes(table, "approvers", Role, where) if "approvers" in table else None
        if approvers is not None and not approvers <= APPROVER_ROLES:
            raise self.error(
                f"{where}.approvers",
                "only a supervisor or a privacy officer may approve",
                tuple(sorted(r.value for r in APPROVER_ROLES)),
            )
        recipients = (
            self.codes(table, "recipients", RecipientKind, where) if "recipients" in table else None
        )
        cite = self.text(table, "cite", where) if "cite" in table else None
        if cite is not None and cite not in cites:
            raise self.error(f"{where}.cite", "must be the cite of one of the pack's [[sources]]")
        hours = table.get("report_within_hours")
        if hours is not None and (
            not isinstance(hours, int) or isinstance(hours, bool) or not 0 < hours <= 24 * 30
        ):
            raise self.error(f"{where}.report_within_hours", "whole hours, from 1 to 720")
        base = inherited
        return GroundRule(
            duty=duty or _need(base).duty,
            approvers=approvers or _need(base).approvers,
            recipients=recipients or _need(base).recipients,
            cite=cite or _need(base).cite,
            summary=self.text(table, "summary", where)
            if "summary" in table
            else _need(base).summary,
            initial_report=(
                self.text(table, "initial_report", where)
                if "initial_report" in table
                else (None if base is None else base.initial_report)
            ),
            report_within=(
                timedelta(hours=hours)
                if hours is not None
                else (None if base is None else base.report_within)
            ),
        )

    def break_glass(self, parent: RulePack | None) -> tuple[timedelta, timedelta]:
        table = self.doc.get("break_glass", {})
        if not isinstance(table, dict):
            raise self.error("break_glass", "a table with max_window_minutes, review_within_hours")
        self.unknown_keys(
            table, frozenset({"max_window_minutes", "review_within_hours"}), "break_glass"
        )
        required = parent is None
        window = self.whole(table, "max_window_minutes", 1440, required=required)
        review = self.whole(table, "review_within_hours", 24 * 14, required=required)
        return (
            _need(parent).break_glass_window if window is None else timedelta(minutes=window),
            _need(parent).break_glass_review_within if review is None else timedelta(hours=review),
        )

    def whole(self, table: dict[str, Any], key: str, high: int, *, required: bool) -> int | None:
        value = table.get(key)
        if value is None:
            if required:
                raise self.error(f"break_glass.{key}", "required in a pack that extends no other")
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
            raise self.error(f"break_glass.{key}", f"a whole number from 1 to {high}")
        return value

    def text(self, table: dict[str, Any], key: str, where: str = "") -> str:
        value = table.get(key)
        name = f"{where}.{key}" if where else key
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "required text")
        if len(value) > 2000:
            raise self.error(name, "at most 2,000 characters")
        return value.strip()

    def code(self, table: dict[str, Any], key: str, enum: type[E], where: str) -> E:
        value = table.get(key)
        try:
            return enum(str(value))
        except ValueError:
            raise self.error(
                f"{where}.{key}", "unknown code", tuple(e.value for e in enum)
            ) from None

    def codes(self, table: dict[str, Any], key: str, enum: type[E], where: str) -> frozenset[E]:
        values = table.get(key)
        if not isinstance(values, list) or not values:
            raise self.error(f"{where}.{key}", "a non-empty list of codes")
        out = set()
        for value in values:
            try:
                out.add(enum(value))
            except ValueError:
                raise self.error(
                    f"{where}.{key}", f"unknown code {value!r}", tuple(e.value for e in enum)
                ) from None
        return frozenset(out)

    def unknown_keys(self, table: dict[str, Any], known: frozenset[str], where: str) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            name = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.error(name, "unknown key", tuple(sorted(known)))


T = TypeVar("T")


def _need(inherited: T | None) -> T:
    """What a pack that extends another takes from it; required keys were checked before."""
    if inherited is None:
        raise RulePackError("rule pack", "a required key is missing")
    return inherited
