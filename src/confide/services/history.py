"""A client's access history and their accounting of disclosures (decision 0012).

Both are read from the client's own hash chain in the audit log (decision 0011), which holds
every access decision about the client, permitted or refused, as ids, codes and rules; never
clinical text.

* ``access_history``: every entry of the chain, newest first, in plain words: who, in which
  role, did what to which parts of the record, why, and whether it was allowed.
* ``access_history_page``: one page of it, read by keyset in SQL (decision 0022), so a page
  costs what it holds rather than the whole chain.
* ``accounting_of_disclosures``: the disclosures of the last six years that HIPAA
  45 CFR 164.528 requires a covered entity to account for, without those it excludes, and
  without those a health oversight agency or law enforcement official asked to hold back for a
  while (164.528(a)(2)).

Only the client themself and the privacy officer of the client's practice may ask. Asking is an
access like any other: it is decided, logged in the same transaction, and a refusal is logged
and committed before ``NotFoundOrDenied`` is raised (decision 0010).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Connection, and_, literal, or_, select, tuple_
from sqlalchemy.sql import ColumnElement

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
from confide.services.chain_tail import chain_intact, stored_entry
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


class Position(NamedTuple):
    """Where a page of the history starts: just after (older than) this time and seq."""

    at: datetime
    seq: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LARGEST_SEQ = 2**63 - 1  # BigInteger


def position_of(micros: int, seq: int) -> Position | None:
    """A cursor's numbers (microseconds since 1970 UTC, chain seq) as a position; None when
    no stored entry could have them."""
    if seq > _LARGEST_SEQ:
        return None
    try:
        return Position(_EPOCH + timedelta(microseconds=micros), seq)
    except OverflowError:
        return None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a client's access history, newest first, and whether more follow."""

    client_id: str
    generated_at: datetime
    entries: tuple[HistoryEntry, ...]
    more: bool
    # The chain verifies from the last entry verified by an earlier request to its end, and
    # that entry is unchanged (decision 0022); the whole chain is re-walked by the audit check.
    chain_intact: bool


def access_history_page(
    deps: Deps,
    *,
    client_id: str,
    by: str,
    limit: int,
    after: Position | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    effect: str | None = None,
) -> HistoryPage:
    """At most ``limit`` entries of ``access_history`` older than ``after``: the same entries
    in the same order, read by keyset on (at, seq) in SQL, never by offset (decision 0022).

    ``since`` and ``before`` bound the time (from, and strictly before); ``effect`` keeps only
    ``permit`` or ``deny``. Asked and logged as ``access_history``.
    """
    require_id(client_id, "client_id")
    require_id(by, "by")
    since = require_optional_aware(since, "since")
    before = require_optional_aware(before, "before")
    if limit < 1:
        raise InvalidValue("limit", "must be at least 1")
    if after is not None:
        require_aware(after.at, "after")
    with deps.engine.begin() as c:
        _client, now, rule = _authorised(deps, c, client_id, by, HISTORY_ACTION)
        own_view = by == client_id
        untold = _untold_disclosures(c, client_id) if own_view else frozenset()
        suspended = own_view and any(s.in_force(now) for s in _stored_suspensions(c, client_id))

        def shown(e: AuditEntry) -> bool:
            return not _is_untold(e, untold) and not (
                suspended and e.action == "suspend_accounting"
            )

        col = t.audit_entries.c
        bounds: list[ColumnElement[bool]] = [col.chain_id == client_id]
        if since is not None:
            bounds.append(col.at >= since)
        if before is not None:
            bounds.append(col.at < before)
        if effect is not None:
            bounds.append(col.effect == effect)
        found, more = _page(c, bounds, after, limit, shown)
        people = _people(c, {e.actor_id for e in found})
        entries = tuple(_history_entry(e, client_id, by, people) for e in found)
        intact = chain_intact(c, client_id, now)
        _log_view(deps, c, at=now, client_id=client_id, by=by, action=HISTORY_ACTION, rule=rule)
    return HistoryPage(client_id, now, entries, more, intact)


def _page(
    c: Connection,
    bounds: Sequence[ColumnElement[bool]],
    after: Position | None,
    limit: int,
    shown: Callable[[AuditEntry], bool],
) -> tuple[list[AuditEntry], bool]:
    """The first ``limit`` shown entries older than ``after``, newest first, and whether more
    follow; read ``limit + 1`` rows at a time by keyset, since a few rows may be held back."""
    col = t.audit_entries.c
    found: list[AuditEntry] = []
    while True:
        query = select(t.audit_entries).where(*bounds)
        if after is not None:
            query = query.where(
                tuple_(col.at, col.seq) < tuple_(literal(after.at, col.at.type), after.seq)
            )
        query = query.order_by(col.at.desc(), col.seq.desc()).limit(limit + 1)
        rows = [stored_entry(r) for r in c.execute(query)]
        found += [e for e in rows if shown(e)]
        if len(found) > limit or len(rows) <= limit:
            return found[:limit], len(found) > limit
        after = Position(rows[-1].at, rows[-1].seq)


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
        chain = _disclosing(c, client_id, start, at)
        people = _people(c, {e.actor_id for e in chain})
        found = [
            d
            for e in chain
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
    return [stored_entry(r) for r in rows]


def _disclosing(c: Connection, client_id: str, start: datetime, end: datetime) -> list[AuditEntry]:
    """The permitted disclosing entries of the period, oldest first: the only candidates for
    the accounting (164.528(a)(1)), read through the (chain_id, action, at) index."""
    col = t.audit_entries.c
    rows = c.execute(
        select(t.audit_entries)
        .where(
            col.chain_id == client_id,
            col.action.in_(sorted(DISCLOSING_ACTIONS)),
            col.effect == "permit",
            col.at >= start,
            col.at <= end,
            # What 164.528(a)(1)(i), (ii) and (iv) exclude by rule or purpose alone, left in
            # the database; the practice's own people are told apart in ``_disclosure``.
            or_(
                col.rule.in_(sorted(_EXCEPTION_RULES)),
                and_(
                    col.rule.not_in(sorted(_TO_THE_INDIVIDUAL | _AUTHORIZED | _TPO_RULES)),
                    or_(
                        col.purpose.is_(None),
                        col.purpose.not_in(sorted(p.value for p in _TPO_PURPOSES)),
                    ),
                ),
            ),
        )
        .order_by(col.at, col.seq)
    )
    return [stored_entry(r) for r in rows]


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
