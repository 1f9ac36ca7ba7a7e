"""Exception disclosure requests: the limits of confidentiality as a workflow (decision 0013).

A request names the ground, the recipient, the categories and the records' dates, and a written
justification. It goes ``draft → submitted → approved | rejected → disclosed → client_notified |
notification_withheld``; a draft or submitted request may be withdrawn; an emergency
(break-the-glass) request is disclosed at once and reviewed afterwards. The rules for each step
are in ``confide.policy.disclosure_rules``; this module holds the values and checks their shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from confide.domain.codes import Category, ExceptionGround, VictimKind
from confide.domain.errors import InvalidValue
from confide.domain.limits import require_victim_kind
from confide.domain.period import Period, require_period
from confide.domain.validation import (
    parse_code,
    parse_codes,
    require_aware,
    require_id,
    require_optional_aware,
    require_text,
)


class DisclosureState(StrEnum):
    """Where a request is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DISCLOSED = "disclosed"
    CLIENT_NOTIFIED = "client_notified"
    NOTIFICATION_WITHHELD = "notification_withheld"


OPEN_STATES = frozenset({DisclosureState.DRAFT, DisclosureState.SUBMITTED})
AFTER_DISCLOSURE = frozenset(
    {
        DisclosureState.DISCLOSED,
        DisclosureState.CLIENT_NOTIFIED,
        DisclosureState.NOTIFICATION_WITHHELD,
    }
)


class RecipientKind(StrEnum):
    """Who, in law, receives an exception disclosure; rule packs say which a ground allows."""

    EMERGENCY_SERVICES = "emergency_services"
    FAMILY_OR_GUARDIAN = "family_or_guardian"
    POTENTIAL_VICTIM = "potential_victim"
    LAW_ENFORCEMENT = "law_enforcement"
    CHILD_PROTECTIVE_AGENCY = "child_protective_agency"
    ADULT_PROTECTIVE_AGENCY = "adult_protective_agency"
    COURT = "court"

    @property
    def label(self) -> str:
        """The kind of recipient in plain words."""
        return self.value.replace("_", " ")


class ProcessKind(StrEnum):
    """The legal process behind a ``court_order`` request."""

    COURT_ORDER = "court_order"  # an order of a court or administrative tribunal
    SUBPOENA = "subpoena"  # a subpoena or discovery request no court ordered


class Assurance(StrEnum):
    """The satisfactory assurance a subpoena needs (HIPAA 45 CFR 164.512(e)(1)(ii))."""

    # (ii)(A), (iii): the client was given written notice and the time to object passed with no
    # objection, or the court resolved the objections.
    CLIENT_NOTIFIED_NO_OBJECTION = "client_notified_no_objection"
    # (ii)(B), (v): a qualified protective order limits use to the litigation and requires
    # return or destruction at its end.
    QUALIFIED_PROTECTIVE_ORDER = "qualified_protective_order"


class WithholdReason(StrEnum):
    """Why the client is not told of a disclosure, for now."""

    RISK_TO_CLIENT = "risk_to_client"
    RISK_TO_OTHERS = "risk_to_others"
    ORDER_FORBIDS = "order_forbids"

    @property
    def label(self) -> str:
        """The reason in plain words."""
        return _WITHHOLD_LABELS[self]


_WITHHOLD_LABELS = {
    WithholdReason.RISK_TO_CLIENT: "telling the client now would put the client at risk",
    WithholdReason.RISK_TO_OTHERS: "telling the client now would put someone else at risk",
    WithholdReason.ORDER_FORBIDS: "the order forbids telling the client",
}


class ReviewOutcome(StrEnum):
    """A reviewer's finding on an emergency (break-the-glass) disclosure."""

    UPHELD = "upheld"
    NOT_UPHELD = "not_upheld"


@dataclass(frozen=True, slots=True)
class LegalProcess:
    """The order or subpoena behind a ``court_order`` request, as it was served."""

    kind: ProcessKind
    court: str
    case_number: str
    issued_on: date
    issued_by: str  # the judge or the issuing officer
    scope: str  # what the order says may be disclosed, in its own words
    categories: frozenset[Category]  # the categories that scope names
    # 42 CFR 2.64(d)-(e): the court's findings that let substance-use records be disclosed.
    part2_findings: bool = False
    assurance: Assurance | None = None
    forbids_telling_client: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", parse_code(ProcessKind, self.kind, "legal_process.kind"))
        for name in ("court", "case_number", "issued_by", "scope"):
            require_text(getattr(self, name), f"legal_process.{name}", max_length=500)
        if not isinstance(self.issued_on, date) or isinstance(self.issued_on, datetime):
            raise InvalidValue("legal_process.issued_on", "the date the order was issued")
        object.__setattr__(
            self,
            "categories",
            parse_codes(Category, self.categories, "legal_process.categories"),
        )
        if not self.categories:
            raise InvalidValue(
                "legal_process.categories", "name the categories the order's scope covers"
            )
        if self.assurance is not None:
            object.__setattr__(
                self,
                "assurance",
                parse_code(Assurance, self.assurance, "legal_process.assurance"),
            )


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """One exception disclosure, from its opening to the client being told (or not)."""

    id: str
    client_id: str
    ground: ExceptionGround
    recipient_id: str
    recipient_kind: RecipientKind
    categories: frozenset[Category]
    justification: str
    requested_by: str
    opened_at: datetime
    state: DisclosureState = DisclosureState.DRAFT
    records_period: Period | None = None  # only records dated within it
    victim_kind: VictimKind | None = None
    suspected_at: datetime | None = None  # abuse or neglect: when the suspicion was recorded
    legal_process: LegalProcess | None = None
    emergency: bool = False
    revision: int = 1
    submitted_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    disclosed_by: str | None = None
    disclosed_at: datetime | None = None
    package_sha256: str | None = None
    review_due: datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_outcome: ReviewOutcome | None = None
    review_note: str | None = None
    notified_at: datetime | None = None
    withheld_reason: WithholdReason | None = None
    withheld_until_review: date | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "disclosure.id")
        require_id(self.client_id, "disclosure.client_id")
        object.__setattr__(
            self, "ground", parse_code(ExceptionGround, self.ground, "disclosure.ground")
        )
        require_id(self.recipient_id, "disclosure.recipient_id")
        object.__setattr__(
            self,
            "recipient_kind",
            parse_code(RecipientKind, self.recipient_kind, "disclosure.recipient_kind"),
        )
        object.__setattr__(
            self, "categories", parse_codes(Category, self.categories, "disclosure.categories")
        )
        if not self.categories:
            raise InvalidValue("disclosure.categories", "name at least one category to disclose")
        require_text(self.justification, "disclosure.justification")
        require_id(self.requested_by, "disclosure.requested_by")
        object.__setattr__(self, "opened_at", require_aware(self.opened_at, "disclosure.opened_at"))
        object.__setattr__(
            self, "state", parse_code(DisclosureState, self.state, "disclosure.state")
        )
        if self.records_period is not None:
            require_period(self.records_period, "disclosure.records_period")
        self._check_victim()
        if (self.legal_process is None) is (self.ground is ExceptionGround.COURT_ORDER):
            raise InvalidValue(
                "disclosure.legal_process",
                "a court_order request needs the order's details; other grounds take none",
            )
        for name in (
            "submitted_at",
            "decided_at",
            "disclosed_at",
            "review_due",
            "reviewed_at",
            "notified_at",
        ):
            object.__setattr__(
                self, name, require_optional_aware(getattr(self, name), f"disclosure.{name}")
            )
        if not isinstance(self.revision, int) or self.revision < 1:
            raise InvalidValue("disclosure.revision", "a whole number from 1")

    def _check_victim(self) -> None:
        if self.ground is ExceptionGround.ABUSE_NEGLECT:
            kind = require_victim_kind(self.ground, self.victim_kind)
            object.__setattr__(self, "victim_kind", kind)
            suspected = require_aware(self.suspected_at, "disclosure.suspected_at")
            if suspected > self.opened_at:
                raise InvalidValue(
                    "disclosure.suspected_at",
                    "when the suspicion was recorded; it cannot be after the report was opened",
                )
            object.__setattr__(self, "suspected_at", suspected)
        elif self.victim_kind is not None or self.suspected_at is not None:
            field = "victim_kind" if self.victim_kind is not None else "suspected_at"
            raise InvalidValue(
                f"disclosure.{field}", "victim_kind and suspected_at are for abuse_neglect only"
            )
