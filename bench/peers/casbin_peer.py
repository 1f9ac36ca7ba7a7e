"""Casbin (pycasbin): one Enforcer per client, its model and policy lines built once.

pycasbin evaluates the matcher (a Python expression, via simpleeval) against every policy
line of the model in priority order until one matches, so a client's lines are kept in that
client's own Enforcer rather than one practice-wide list. (It also re-parses the matcher with
``ast.parse`` on every ``enforce`` call; nothing in its API caches the parsed expression.)
Policy fields are strings: times are fixed-width epoch seconds (string order is time order)
and sets are ``|a|b|`` strings.
The matcher cannot add, so a break-the-glass grant's cap (opened + the practice's maximum
window) is written into its line; the comparison itself is Casbin's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import casbin

from bench.peers.base import ClientFacts, Peer, epoch, facts_by_client
from confide.domain import (
    AccessRequest,
    Actor,
    BreakGlassGrant,
    Consent,
    Effect,
    ExceptionDisclosure,
)
from confide.domain.codes import Category, Purpose
from confide.policy import DEFAULT_SETTINGS, GROUND_PURPOSE, MINIMUM_NECESSARY, PolicySettings
from confide.policy.minimum_necessary import STAFF_CATEGORIES, STAFF_PURPOSES
from confide.synthetic import PracticeData

MODEL = Path(__file__).with_name("casbin_model.conf")
FOREVER = "9" * 12
NONE = "-"
Line = list[str]


class Subject(NamedTuple):
    """The actor as the matcher sees it (``r.sub.id``, ``r.sub.role``, ``r.sub.org``)."""

    id: str
    role: str
    org: str


class CasbinRequest(NamedTuple):
    """The client's Enforcer and the request values; ``enforce`` is called per category."""

    enforcer: casbin.Enforcer | None
    subject: Subject
    categories: tuple[str, ...]
    purpose: str
    action: str
    at: str
    author: str


class CasbinPeer(Peer[CasbinRequest]):
    """confide's rules as a Casbin model, decided by pycasbin."""

    name = "casbin"
    notes = (
        "casbin: one Enforcer per client (model + that client's policy lines, built once); "
        "enforce() per category, priority effect (gate, then not-overridable permits, then "
        "deny provisions, then other permits). pycasbin re-parses the matcher (ast.parse) on "
        "every enforce() call, about half its time here. String-typed fields: times are "
        "fixed-width, and a break-the-glass line carries its cap (opened + max window).",
    )

    def __init__(self, data: PracticeData, settings: PolicySettings = DEFAULT_SETTINGS) -> None:
        model_text = _model_text(settings)
        self._subjects = {a.id: _subject(a) for a in data.actors}
        self._enforcers = {
            cid: _enforcer(model_text, client_lines(f, settings))
            for cid, f in facts_by_client(data).items()
        }

    def translate(self, request: AccessRequest) -> CasbinRequest:
        """The request values as the matcher compares them."""
        return CasbinRequest(
            self._enforcers.get(request.client_id),
            self._subjects.get(request.actor_id, Subject(request.actor_id, "", "")),
            tuple(sorted(c.value for c in request.categories)),
            request.purpose.value,
            request.action.value,
            _time(request.at),
            request.record_author_id or NONE,
        )

    def decide(self, native: CasbinRequest) -> frozenset[str]:
        """Enforce once per category; keep those allowed."""
        e, sub, _, pur, act, at, author = native
        if e is None:
            return frozenset()  # no such client on file, so no policy permits anything
        return frozenset(c for c in native.categories if e.enforce(sub, c, pur, act, at, author))


def client_lines(f: ClientFacts, settings: PolicySettings) -> list[Line]:
    """The client's policy lines: gate, own record, staff, then one line per fact."""
    window = int(settings.break_glass_max_window.total_seconds())
    lines = [
        _line("0", "gate", "*", eft="deny"),
        _line("1", "own", f.client.id),
        _line("3", "staff", f.client.organisation_id),
    ]
    lines += [_disclosure_line(d) for d in f.disclosures]
    lines += [_break_glass_line(g, window) for g in f.break_glass]
    lines += [_consent_line(c) for c in f.consents]
    lines += [
        _line("3", "treat", r.clinician_id, start=r.period.start, end=r.period.end)
        for r in f.relationships
    ]
    lines += [
        _line(
            "3",
            "rep",
            p.representative_id,
            cats=_set(f.self_consented),
            flags=_set([p.kind]),
            start=p.period.start,
            end=p.period.end,
        )
        for p in f.representations
    ]
    return lines


def _disclosure_line(d: ExceptionDisclosure) -> Line:
    flags = ["approved"] if d.approval is not None else []
    flags += ["part2_findings"] if d.part2_court_findings else []
    return _line(
        "1",
        "disclosure",
        d.recipient_id,
        cats=_set(d.categories),
        ground=d.ground,
        flags=_set(flags),
        start=d.window.start,
        end=d.window.end,
    )


def _break_glass_line(g: BreakGlassGrant, window: int) -> Line:
    # The matcher cannot add: the cap (opened + the practice's maximum window) is written here.
    cap = f"{epoch(g.opened_at) + window:012d}"
    return _line(
        "1",
        "btg",
        g.clinician_id,
        ground=g.ground,
        start=g.opened_at,
        end=g.expires_at,
        until=cap,
    )


def _consent_line(c: Consent) -> Line:
    permit = c.effect is Effect.PERMIT
    return _line(
        "3" if permit else "2",
        "consent" if permit else "forbid",
        c.recipient_id,
        cats=_set(c.categories),
        purs=_set(c.purposes),
        start=c.period.start,
        end=c.period.end,
        until=_time(c.revoked_at) if c.revoked_at is not None else FOREVER,
        eft="allow" if permit else "deny",
    )


def group_links() -> tuple[list[Line], list[Line]]:
    """Category groups (staff, each ground's minimum necessary) and purpose groups."""
    categories = [[c.value, "staff"] for c in sorted(STAFF_CATEGORIES)]
    for ground, allowed in MINIMUM_NECESSARY.items():
        categories += [[c.value, f"mn:{ground.value}"] for c in sorted(allowed)]
    purposes = [[p.value, "staff"] for p in sorted(STAFF_PURPOSES)]
    purposes += [[p.value, f"purpose:{g.value}"] for g, p in GROUND_PURPOSE.items()]
    return categories, purposes


def _enforcer(model_text: str, lines: list[Line]) -> casbin.Enforcer:
    model = casbin.Enforcer.new_model(text=model_text)
    enforcer = casbin.Enforcer(model)
    # Priority effect: lines must be in priority order, as Casbin's load_policy leaves them.
    enforcer.add_policies(sorted(lines, key=lambda line: int(line[0])))
    categories, purposes = group_links()
    enforcer.add_named_grouping_policies("g", categories)
    enforcer.add_named_grouping_policies("g2", purposes)
    return enforcer


def _model_text(settings: PolicySettings) -> str:
    text = MODEL.read_text()
    text = text.replace("NOTES_OPEN_TO_CLIENT", str(settings.client_may_read_psychotherapy_notes))
    return text.replace(
        "REPRESENTATIVE_SEES_SELF_CONSENTED", str(settings.representative_sees_self_consented_care)
    )


def _line(
    priority: str,
    kind: str,
    who: str,
    *,
    cats: str = NONE,
    purs: str = NONE,
    ground: str = NONE,
    flags: str = NONE,
    start: datetime | None = None,
    end: datetime | None = None,
    until: str = NONE,
    eft: str = "allow",
) -> Line:
    begin = _time(start) if start is not None else NONE
    finish = _time(end) if end is not None else FOREVER
    return [priority, kind, who, cats, purs, str(ground), flags, begin, finish, until, eft]


def _set(codes: Iterable[str | Category | Purpose]) -> str:
    return "|" + "|".join(sorted(str(c) for c in codes)) + "|"


def _time(at: datetime) -> str:
    return f"{epoch(at):012d}"


def _subject(a: Actor) -> Subject:
    return Subject(a.id, a.role.value, a.organisation_id or "")
