"""Access requests and the decisions the policy engine returns for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from confide.domain.codes import Action, Category, Effect, Purpose
from confide.domain.period import Period
from confide.domain.validation import (
    parse_code,
    parse_codes,
    require_aware,
    require_id,
)


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """Someone asks to read or write some categories of a client's record, for a purpose, at a time.

    ``record_author_id`` names the author of the record asked for; psychotherapy notes are
    released to their author only when it is given and matches (HIPAA 164.508(a)(2)(i)(A)).
    """

    actor_id: str
    client_id: str
    categories: frozenset[Category]
    purpose: Purpose
    at: datetime
    action: Action = Action.READ
    record_author_id: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        require_id(self.actor_id, "request.actor_id")
        require_id(self.client_id, "request.client_id")
        object.__setattr__(
            self, "categories", parse_codes(Category, self.categories, "request.categories")
        )
        object.__setattr__(self, "purpose", parse_code(Purpose, self.purpose, "request.purpose"))
        object.__setattr__(self, "at", require_aware(self.at, "request.at"))
        object.__setattr__(self, "action", parse_code(Action, self.action, "request.action"))
        if self.record_author_id is not None:
            require_id(self.record_author_id, "request.record_author_id")
        if self.request_id is not None:
            require_id(self.request_id, "request.request_id")


class RuleId(StrEnum):
    """The rule that decided a category; every outcome names one."""

    # Permits
    CLIENT_OWN_RECORD = "permit.client_own_record"
    REPRESENTATIVE = "permit.personal_representative"
    TREATING_CLINICIAN = "permit.treating_clinician"
    PSYCHOTHERAPY_NOTE_AUTHOR = "permit.psychotherapy_note_author"
    STAFF_OPERATIONS = "permit.staff_operations"
    CONSENT = "permit.consent"
    EXCEPTION_DISCLOSURE = "permit.exception_disclosure"
    BREAK_GLASS = "permit.break_glass"
    # Denials
    DEFAULT = "deny.default"
    UNKNOWN_ACTOR = "deny.unknown_actor"
    UNKNOWN_CLIENT = "deny.unknown_client"
    ADMINISTRATOR = "deny.administrator_no_client_content"
    STAFF_NOT_CLINICAL = "deny.staff_not_clinical"
    CONSENT_FORBIDS = "deny.consent_forbids"
    PSYCHOTHERAPY_NOTE_PROTECTED = "deny.psychotherapy_note_protected"
    SUBSTANCE_USE_PROTECTED = "deny.substance_use_protected"
    BEYOND_MINIMUM_NECESSARY = "deny.beyond_minimum_necessary"
    PART2_COURT_FINDINGS_MISSING = "deny.part2_court_findings_missing"
    MINOR_SELF_CONSENTED_CARE = "deny.minor_self_consented_care"
    RELATIONSHIP_ENDED = "deny.relationship_ended"
    CONSENT_REVOKED = "deny.consent_revoked"
    CONSENT_EXPIRED = "deny.consent_expired"
    CONSENT_NOT_YET_ACTIVE = "deny.consent_not_yet_active"
    APPROVAL_PENDING = "deny.approval_pending"
    BREAK_GLASS_EXPIRED = "deny.break_glass_expired"


class ObligationKind(StrEnum):
    """What the caller must do with a decision (HL7 obligation policy, in confide's words)."""

    REDACT = "redact"
    REDISCLOSURE_NOTICE = "part2_redisclosure_notice"
    NOTIFY_CLIENT = "notify_client"
    REQUIRE_APPROVAL = "require_approval"
    REVIEW_BY = "review_by"
    LIMIT_RECORD_DATES = "limit_record_dates"
    WARN_NOTICE_NOT_ACKNOWLEDGED = "warn_notice_not_acknowledged"


# The decision's values are NamedTuples: immutable and typed like the frozen dataclasses
# elsewhere, and built in a fraction of the time, since every request builds several.


class Obligation(NamedTuple):
    """A duty attached to a decision, with the categories, deadline or period it concerns."""

    kind: ObligationKind
    text: str
    categories: frozenset[Category] = frozenset()
    deadline: datetime | None = None
    period: Period | None = None
    cites: str | None = None


class CategoryOutcome(NamedTuple):
    """The decision for one requested category, the rule that made it, why, and its duties."""

    category: Category
    effect: Effect
    rule_id: RuleId
    reason: str
    cites: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()


class Decision(NamedTuple):
    """Permit (of some or all requested categories) or deny, with its rule, reasons and duties.

    A partial permit lists the denied categories in ``denied`` and carries a ``REDACT``
    obligation for them: a decision never widens a request, and never narrows it silently.
    """

    effect: Effect
    rule_id: RuleId
    outcomes: tuple[CategoryOutcome, ...]
    obligations: tuple[Obligation, ...]
    permitted: frozenset[Category]
    denied: frozenset[Category]
    request_id: str | None = None

    @property
    def is_permit(self) -> bool:
        """True if at least one requested category is permitted."""
        return self.effect is Effect.PERMIT

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in plain words, one per distinct reason, in category order."""
        return tuple(dict.fromkeys(o.reason for o in self.outcomes))

    def obligations_of(self, kind: ObligationKind) -> tuple[Obligation, ...]:
        """The obligations of one kind."""
        return tuple(o for o in self.obligations if o.kind is kind)
