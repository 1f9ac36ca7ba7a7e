"""A client's access history and their accounting of disclosures (decision 0012).

Both are read from the client's own hash chain in the audit log (decision 0011), which holds
every access decision about the client, permitted or refused, as ids, codes and rules; never
clinical text.

* ``access_history``: every entry of the chain, newest first, in plain words: who, in which
  role, did what to which parts of the record, why, and whether it was allowed.
* ``accounting_of_disclosures``: the disclosures of the last six years that HIPAA
  45 CFR 164.528 requires a covered entity to account for, without those it excludes, and
  without those a health oversight agency or law enforcement official asked to hold back for a
  while (164.528(a)(2)).

Only the client themself and the privacy officer of the client's practice may ask. Asking is an
access like any other: it is decided, logged in the same transaction, and a refusal is logged
and committed before ``NotFoundOrDenied`` is raised (decision 0010).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Connection, Row, select

from confide.audit.entries import AuditEntry, verify_chain
from confide.domain import Actor, Category, Client, Purpose, Role, RuleId
from confide.domain.disclosures import DisclosureState
from confide.domain.errors import InvalidValue
from confide.domain.validation import (
    parse_code,
    require_aware,
    require_id,
    require_optional_aware,
)
from confide.policy.minimum_necessary import GROUND_CITATION, GROUND_PURPOSE
from confide.policy.wording import category_list
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.services.history_words import (
    ACCOUNTING_ACTION,
    HISTORY_ACTION,
    HistoryRule,
    action_words,
    display_name,
    rule_words,
)
from confide.store import schema as t
from confide.store.practice_repository import PracticeRepository

# HIPAA 45 CFR 164.528(a)(1) and (b)(1): the six years before the request.
ACCOUNTING_YEARS = 6
# 164.528(a)(2)(ii)(C): an oral statement suspends for at most 30 days unless confirmed in writing.
ORAL_SUSPENSION_LIMIT = timedelta(days=30)
# Chain actions that release part of the record to the asker.
DISCLOSING_ACTIONS = frozenset({"read", "disclose"})


class LogDecision(NamedTuple):
    """Permitted or not, and the rule that said so."""

    permitted: bool
    rule: HistoryRule


def may_see_log(actor: Actor | None, client: Client | None) -> LogDecision:
    """Who may see a client's access history and accounting: the client, or the privacy officer
    of the client's practice (HIPAA 164.528(d) and 164.530(a): the privacy official answers for
    the accounting). Deny by default; pure."""
    if actor is None or client is None:
        return LogDecision(False, HistoryRule.DENY_UNKNOWN)
    if actor.role is Role.CLIENT:
        if actor.id == client.id:
            return LogDecision(True, HistoryRule.CLIENT)
        return LogDecision(False, HistoryRule.DENY_OTHER_CLIENT)
    if actor.role is not Role.PRIVACY_OFFICER:
        return LogDecision(False, HistoryRule.DENY_ROLE)
    if actor.organisation_id != client.organisation_id:
        return LogDecision(False, HistoryRule.DENY_OTHER_ORGANISATION)
    return LogDecision(True, HistoryRule.PRIVACY_OFFICER)


_DECIDED_ACTIONS = frozenset({"read", "write", "disclose"})

# Another client's id in this client's log would tell them who else is in therapy here.
ANOTHER_CLIENT = "another client of the practice (not named, for their privacy)"


# The access history -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One entry of a client's chain, as the client or their privacy officer may see it."""

    seq: int
    at: datetime
    request_id: str
    actor_id: str | None  # None when withheld: another client of the practice
    actor_role: str
    who: str
    action: str
    purpose: Purpose | None
    asked: tuple[Category, ...]
    permitted: tuple[Category, ...]
    effect: str
    rule: str

    @property
    def allowed(self) -> bool:
        """True if the access (or part of it) was permitted."""
        return self.effect == "permit"

    @property
    def what(self) -> str:
        """What was done or asked for, in plain words."""
        if not self.asked:
            return action_words(self.action)
        return f"{action_words(self.action)}: {category_list(self.asked)}"

    @property
    def why(self) -> str:
        """The purpose given, in plain words ('' when the event has none)."""
        return "" if self.purpose is None else self.purpose.label

    @property
    def outcome(self) -> str:
        """Allowed, allowed in part, refused or failed, and the rule, in plain words."""
        if self.effect == "permit":
            # Only a decision's event says what it permitted; other events name what changed.
            withheld = set(self.asked) - set(self.permitted)
            if self.action in _DECIDED_ACTIONS and self.asked and withheld:
                given = category_list(self.permitted) or "nothing"
                return f"allowed in part (given: {given}) - {rule_words(self.rule)}"
            return f"allowed - {rule_words(self.rule)}"
        if self.effect == "deny":
            return f"refused - {rule_words(self.rule)}"
        return f"failed - {rule_words(self.rule)}"


@dataclass(frozen=True, slots=True)
class AccessHistory:
    """Every access to one client's record, newest first."""

    client_id: str
    generated_at: datetime
    since: datetime | None
    entries: tuple[HistoryEntry, ...]
    # The whole chain links up from its genesis, every entry matching its hash (decision 0011).
    # Entries after the last signed checkpoint are protected by the chain only.
    chain_intact: bool


def access_history(
    deps: Deps, *, client_id: str, by: str, since: datetime | None = None
) -> AccessHistory:
    """Every access to the client's record, permitted and refused, newest first.

    ``since`` keeps only entries from that time on. Asked by the client or the privacy officer
    of their practice; anyone else gets ``NotFoundOrDenied``, after the refusal is logged.
    """
    require_id(client_id, "client_id")
    require_id(by, "by")
    since = require_optional_aware(since, "since")
    with deps.engine.begin() as c:
        _client, now, rule = _authorised(deps, c, client_id, by, HISTORY_ACTION)
        chain = _chain(c, client_id)
        people = _people(c, {e.actor_id for e in chain})
        newest_first = sorted(chain, key=lambda e: (e.at, e.seq), reverse=True)
        own_view = by == client_id
        untold = _untold_disclosures(c, client_id) if own_view else frozenset()
        # While an agency's suspension is in force, its record would itself tell the client.
        suspended = own_view and any(s.in_force(now) for s in _stored_suspensions(c, client_id))
        entries = tuple(
            _history_entry(e, client_id, by, people)
            for e in newest_first
            if (since is None or e.at >= since)
            and not _is_untold(e, untold)
            and not (suspended and e.action == "suspend_accounting")
        )
        intact = _intact(client_id, chain)
        _log_view(deps, c, at=now, client_id=client_id, by=by, action=HISTORY_ACTION, rule=rule)
    return AccessHistory(client_id, now, since, entries, intact)


def _untold_disclosures(c: Connection, client_id: str) -> frozenset[str]:
    """The client's exception disclosures they have not been told of yet (decision 0013)."""
    rows = c.execute(
        select(t.disclosure_requests.c.id).where(
            t.disclosure_requests.c.client_id == client_id,
            t.disclosure_requests.c.state != DisclosureState.CLIENT_NOTIFIED.value,
        )
    )
    return frozenset(r.id for r in rows)


def _is_untold(e: AuditEntry, untold: frozenset[str]) -> bool:
    # A report being prepared, or a disclosure the client is not yet to be told of (a recorded
    # risk to them or others, or an order), stays out of the client's own view of the history
    # until they are told; the privacy officer sees it. The accounting of disclosures still
    # lists the disclosure itself (45 CFR 164.528), unless an agency's suspension covers it.
    return e.record_id in untold and (e.action == "disclose" or e.action.startswith("disclosure_"))


def _history_entry(
    e: AuditEntry, client_id: str, viewer: str, people: Mapping[str, _Person]
) -> HistoryEntry:
    hidden = viewer == client_id and e.actor_role == Role.CLIENT.value and e.actor_id != client_id
    person = people.get(e.actor_id)
    organisation = None if person is None else person.organisation_name
    return HistoryEntry(
        seq=e.seq,
        at=e.at,
        request_id=e.request_id,
        actor_id=None if hidden else e.actor_id,
        actor_role=e.actor_role,
        who=ANOTHER_CLIENT if hidden else display_name(e.actor_id, e.actor_role, organisation),
        action=e.action,
        purpose=_purpose(e.purpose),
        asked=_categories(e.categories),
        permitted=_categories(e.permitted),
        effect=e.effect,
        rule=e.rule,
    )


# The accounting of disclosures --------------------------------------------------------------


class StatementForm(StrEnum):
    """How an agency or official asked to suspend the accounting (164.528(a)(2))."""

    WRITTEN = "written"
    ORAL = "oral"


@dataclass(frozen=True, slots=True)
class Suspension:
    """A health oversight agency's or law enforcement official's request to hold back from the
    accounting, for a time, the disclosures made to them (HIPAA 45 CFR 164.528(a)(2), 164.512(d)
    and (f)).

    ``agency`` is the organisation or person on file the disclosures went to. A written
    statement suspends until ``until``; an oral one, documented with the agency's identity, for
    at most 30 days from the statement unless a written one follows (164.528(a)(2)(ii)).
    The privacy officer stores them (``services.suspensions``); the accounting applies those
    and any passed in.
    """

    agency: str
    requested_at: datetime
    until: datetime
    statement: StatementForm = StatementForm.WRITTEN

    def __post_init__(self) -> None:
        require_id(self.agency, "suspension.agency")
        object.__setattr__(
            self, "requested_at", require_aware(self.requested_at, "suspension.requested_at")
        )
        object.__setattr__(self, "until", require_aware(self.until, "suspension.until"))
        object.__setattr__(
            self,
            "statement",
            parse_code(StatementForm, self.statement, "suspension.statement"),
        )
        if self.until <= self.requested_at:
            raise InvalidValue("suspension.until", "must be after the request")

    @property
    def ends_at(self) -> datetime:
        """When the suspension ends: ``until``, or 30 days after an oral statement if sooner."""
        if self.statement is StatementForm.ORAL:
            return min(self.until, self.requested_at + ORAL_SUSPENSION_LIMIT)
        return self.until

    def in_force(self, at: datetime) -> bool:
        """True from the statement until the suspension ends."""
        return self.requested_at <= at < self.ends_at

    def covers(self, disclosure: Disclosure) -> bool:
        """True for a disclosure to the agency, or to someone of it."""
        return self.agency in (disclosure.recipient_id, disclosure.recipient_organisation_id)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure the accounting must show (HIPAA 164.528(b)(2)): its date, who received it,
    what was disclosed, and the purpose or legal ground."""

    at: datetime
    request_id: str
    recipient_id: str
    recipient_role: str
    recipient_organisation_id: str | None
    recipient: str
    categories: tuple[Category, ...]
    purpose: Purpose | None
    rule: str
    ground: str

    @property
    def what(self) -> str:
        """A brief description of what was disclosed (164.528(b)(2)(iii))."""
        return category_list(self.categories) or "no part of the record"


@dataclass(frozen=True, slots=True)
class Accounting:
    """The accounting of disclosures for one client, oldest first.

    ``withheld`` says that some disclosures are temporarily left out at the request of a health
    oversight agency or law enforcement official (164.528(a)(2)); nothing more is said of them.
    """

    client_id: str
    generated_at: datetime
    period_start: datetime
    disclosures: tuple[Disclosure, ...]
    withheld: bool


# What 164.528(a)(1) leaves out of an accounting, as confide's rules make them.
EXCLUSIONS = (
    "Not listed here, as the HIPAA Privacy Rule (45 CFR 164.528(a)(1)) allows: access for your "
    "treatment, for payment and for running the practice (by your treating clinicians and the "
    "practice's staff); your own access to your record and your personal representative's; and "
    "disclosures you authorized through a consent. Every one of those still appears in the history "
    "of who accessed your record."
)
SUSPENSION_NOTE = (
    "Some disclosures are temporarily left out of this accounting at the request of a health "
    "oversight agency or law enforcement official, as the law requires (45 CFR 164.528(a)(2)). "
    "They will be shown once that request ends."
)

# 164.528(a)(1)(ii): to the individual (their personal representative stands in for them,
# 164.502(g)).
_TO_THE_INDIVIDUAL = frozenset({RuleId.CLIENT_OWN_RECORD.value, RuleId.REPRESENTATIVE.value})
# 164.528(a)(1)(iv): under an authorization (164.508): confide's consents.
_AUTHORIZED = frozenset({RuleId.CONSENT.value})
# 164.528(a)(1)(i): treatment, payment and health care operations (164.506).
_TPO_RULES = frozenset(
    {
        RuleId.TREATING_CLINICIAN.value,
        RuleId.PSYCHOTHERAPY_NOTE_AUTHOR.value,
        RuleId.STAFF_OPERATIONS.value,
    }
)
_TPO_PURPOSES = frozenset({Purpose.TREAT, Purpose.HPAYMT, Purpose.HOPERAT})
# Disclosures without the client's permission: always accounted for, inside the practice too.
_EXCEPTION_RULES = frozenset({RuleId.EXCEPTION_DISCLOSURE.value, RuleId.BREAK_GLASS.value})
_CITATION_BY_PURPOSE: Mapping[Purpose, str] = MappingProxyType(
    {purpose: GROUND_CITATION[ground] for ground, purpose in GROUND_PURPOSE.items()}
)


def accounting_of_disclosures(
    deps: Deps,
    *,
    client_id: str,
    by: str,
    now: datetime | None = None,
    suspensions: Sequence[Suspension] = (),
) -> Accounting:
    """The disclosures of the client's record in the six years before ``now`` that HIPAA
    45 CFR 164.528 requires to be accounted for, oldest first.

    ``now`` is when the accounting is asked for (the clock's time by default). Disclosures to an
    agency whose suspension is in force at ``now`` are left out until it ends, and the
    accounting says that some are withheld. Asked by the client or the privacy officer of their
    practice; anyone else gets ``NotFoundOrDenied``, after the refusal is logged.
    """
    require_id(client_id, "client_id")
    require_id(by, "by")
    asked_at = require_optional_aware(now, "now")
    for s in suspensions:
        if not isinstance(s, Suspension):
            raise InvalidValue("suspensions", "must be suspensions (agency, times, statement)")
    with deps.engine.begin() as c:
        client, logged_at, rule = _authorised(deps, c, client_id, by, ACCOUNTING_ACTION)
        suspensions = [*suspensions, *_stored_suspensions(c, client_id)]
        at = logged_at if asked_at is None else asked_at
        start = six_years_before(at)
        chain = [e for e in _chain(c, client_id) if start <= e.at <= at]
        people = _people(c, {e.actor_id for e in chain})
        found = [
            d
            for e in sorted(chain, key=lambda e: (e.at, e.seq))
            if (d := _disclosure(e, client.organisation_id, people.get(e.actor_id))) is not None
        ]
        _log_view(
            deps, c, at=logged_at, client_id=client_id, by=by, action=ACCOUNTING_ACTION, rule=rule
        )
    active = [s for s in suspensions if s.in_force(at)]
    shown = tuple(d for d in found if not any(s.covers(d) for s in active))
    return Accounting(client_id, at, start, shown, withheld=len(shown) < len(found))


def _stored_suspensions(c: Connection, client_id: str) -> list[Suspension]:
    rows = c.execute(
        select(t.accounting_suspensions).where(t.accounting_suspensions.c.client_id == client_id)
    )
    return [
        Suspension(r.agency_id, r.requested_at, r.until, StatementForm(r.statement)) for r in rows
    ]


def six_years_before(at: datetime) -> datetime:
    """The start of the accounting period (164.528(a)(1)); 29 February falls back to the 28th."""
    try:
        return at.replace(year=at.year - ACCOUNTING_YEARS)
    except ValueError:
        return at.replace(year=at.year - ACCOUNTING_YEARS, day=28)


def _disclosure(e: AuditEntry, practice_id: str, person: _Person | None) -> Disclosure | None:
    """The entry as a disclosure the accounting shows, or None when 164.528 excludes it."""
    if e.effect != "permit" or e.action not in DISCLOSING_ACTIONS:
        return None
    purpose = _purpose(e.purpose)
    organisation_id = None if person is None else person.organisation_id
    if e.rule not in _EXCEPTION_RULES:
        if organisation_id == practice_id:
            return None  # a use inside the practice, not a disclosure (164.501)
        if e.rule in _TO_THE_INDIVIDUAL or e.rule in _AUTHORIZED:
            return None  # 164.528(a)(1)(ii), (iv)
        if e.rule in _TPO_RULES or purpose in _TPO_PURPOSES:
            return None  # 164.528(a)(1)(i)
    return Disclosure(
        at=e.at,
        request_id=e.request_id,
        recipient_id=e.actor_id,
        recipient_role=e.actor_role,
        recipient_organisation_id=organisation_id,
        recipient=display_name(
            e.actor_id, e.actor_role, None if person is None else person.organisation_name
        ),
        categories=_categories(e.permitted),
        purpose=purpose,
        rule=e.rule,
        ground=legal_ground(e.rule, purpose),
    )


def legal_ground(rule: str, purpose: Purpose | None) -> str:
    """A brief statement of the purpose of a disclosure and its basis (164.528(b)(2)(iv))."""
    if rule == RuleId.EXCEPTION_DISCLOSURE.value:
        if purpose is not None and purpose in _CITATION_BY_PURPOSE:
            citation = _CITATION_BY_PURPOSE[purpose]
            return f"{purpose.label}, without consent as the law allows ({citation})"
        return "a disclosure without consent on a legal ground (HIPAA 45 CFR 164.512)"
    if rule == RuleId.BREAK_GLASS.value:
        return (
            "emergency access (break-the-glass) for an imminent risk of serious harm "
            "(HIPAA 45 CFR 164.512(j)), reviewed afterwards"
        )
    why = "no purpose given" if purpose is None else purpose.label
    return f"{why} ({rule_words(rule)})"


# Shared -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    organisation_id: str | None
    organisation_name: str | None


def _authorised(
    deps: Deps, c: Connection, client_id: str, by: str, action: str
) -> tuple[Client, datetime, HistoryRule]:
    """Decide who may see the log; a refusal is logged and committed, then raised."""
    repo = PracticeRepository(c)
    client = repo.client(client_id)
    decision = may_see_log(repo.actor(by), client)
    now = deps.clock.now()  # after the facts are read, as for every decision
    if not decision.permitted or client is None:
        log_event(
            deps,
            c,
            at=now,
            by=by,
            client_id=client_id,
            action=action,
            effect="deny",
            rule=decision.rule.value,
        )
        refuse(c)
    return client, now, decision.rule


def _log_view(
    deps: Deps,
    c: Connection,
    *,
    at: datetime,
    client_id: str,
    by: str,
    action: str,
    rule: HistoryRule,
) -> None:
    log_event(
        deps, c, at=at, by=by, client_id=client_id, action=action, effect="permit", rule=rule.value
    )


EXPORT_FORMS = frozenset({"pdf", "fhir"})


def record_export(deps: Deps, *, client_id: str, by: str, form: str) -> None:
    """Log that the access history left the system as a file (an export is an access too)."""
    if form not in EXPORT_FORMS:
        raise InvalidValue("form", "must be pdf or fhir", allowed=tuple(sorted(EXPORT_FORMS)))
    require_id(client_id, "client_id")
    require_id(by, "by")
    action = f"export_{form}"
    with deps.engine.begin() as c:
        _client, now, rule = _authorised(deps, c, client_id, by, action)
        _log_view(deps, c, at=now, client_id=client_id, by=by, action=action, rule=rule)


def _chain(c: Connection, client_id: str) -> list[AuditEntry]:
    rows = c.execute(
        select(t.audit_entries)
        .where(t.audit_entries.c.chain_id == client_id)
        .order_by(t.audit_entries.c.seq)
    )
    return [_entry(r) for r in rows]


def _entry(row: Row[tuple[object, ...]]) -> AuditEntry:
    m = dict(row._mapping)
    m["prev_hash"] = bytes(m["prev_hash"])
    m["entry_hash"] = bytes(m["entry_hash"])
    return AuditEntry(**m)


def _people(c: Connection, actor_ids: Iterable[str]) -> dict[str, _Person]:
    ids = set(actor_ids)
    if not ids:
        return {}
    rows = c.execute(
        select(t.actors.c.id, t.actors.c.organisation_id, t.organisations.c.name)
        .select_from(
            t.actors.outerjoin(t.organisations, t.organisations.c.id == t.actors.c.organisation_id)
        )
        .where(t.actors.c.id.in_(ids))
    )
    return {r.id: _Person(r.organisation_id, r.name) for r in rows}


def _intact(client_id: str, chain: Sequence[AuditEntry]) -> bool:
    walk = verify_chain(client_id, (e.link() for e in chain))
    return walk.broken is None


def _purpose(code: str | None) -> Purpose | None:
    if code is None:
        return None
    try:
        return Purpose(code)
    except ValueError:
        return None


def _categories(codes: str) -> tuple[Category, ...]:
    known = {c.value for c in Category}
    found = [Category(code) for code in codes.split(",") if code in known]
    return tuple(sorted(found, key=lambda c: c.sensitivity))
