"""The bodies of the exception-disclosure API (decision 0013), in the style of ``schemas``:
requests refuse unknown fields and wrong types by name, text has limits, codes are enums, and
every example is synthetic.

The justification, a rejection's reason and a review's note may hold clinical facts: they travel
only in request and answer bodies (never in a path or a query) and are never logged.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StrictBool, StringConstraints

from confide.api.schemas import Answer, Id, Request
from confide.domain import Category, ExceptionGround, Role, VictimKind
from confide.domain.disclosures import (
    Assurance,
    DisclosureState,
    ProcessKind,
    RecipientKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.policy.rule_packs import Duty

# The domain's limits: free words up to 2,000 characters, an order's fields up to 500.
Words = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
OrderText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Categories = Annotated[list[Category], Field(min_length=1, max_length=len(Category))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "not found, or you may not see it"}
}


class QueueFlag(StrEnum):
    """Why a request is in the work queue."""

    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED_NOT_RELEASED = "approved_not_released"
    REPORT_DUE = "report_due"
    REPORT_OVERDUE = "report_overdue"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    CLIENT_NOTICE_UNDECIDED = "client_notice_undecided"
    WITHHOLDING_REVIEW_DUE = "withholding_review_due"


# Requests --------------------------------------------------------------------------------------


class RecordsPeriodAsk(Request):
    start: AwareDatetime = Field(examples=["2026-01-01T00:00:00+00:00"])
    end: AwareDatetime | None = Field(default=None, description="Excluded; none: up to now.")


class LegalProcessAsk(Request):
    """The order or subpoena, as served (a ``court_order`` request needs it)."""

    kind: ProcessKind = ProcessKind.COURT_ORDER
    court: OrderText = Field(examples=["Synthetic County Court"])
    case_number: OrderText = Field(examples=["SYN-0001"])
    issued_on: date = Field(examples=["2026-02-20"])
    issued_by: OrderText = Field(examples=["Judge Placeholder"])
    scope: OrderText = Field(
        description="What the order says may be disclosed, in its own words.",
        examples=["diagnoses and treatment plan only"],
    )
    categories: Categories = Field(
        description="The categories that scope names.", examples=[["diagnosis"]]
    )
    part2_findings: StrictBool = Field(
        default=False, description="The order makes the 42 CFR 2.64(d)-(e) findings."
    )
    assurance: Assurance | None = Field(
        default=None, description="A subpoena's satisfactory assurance (164.512(e)(1)(ii))."
    )
    forbids_telling_client: StrictBool = False


class DisclosureOpenAsk(Request):
    """A draft exception disclosure: its scope and recipient are checked now."""

    ground: ExceptionGround = Field(examples=[ExceptionGround.IMMINENT_RISK_OTHERS])
    recipient_id: Id = Field(description="A recipient on file.", examples=["police-synth"])
    recipient_kind: RecipientKind = Field(examples=[RecipientKind.LAW_ENFORCEMENT])
    categories: Categories = Field(examples=[["demographics", "risk_assessment"]])
    justification: Words = Field(
        description="Why: sealed with the client's key, never logged.",
        examples=["Synthetic reason: a stated intent toward a named person this week."],
    )
    records_period: RecordsPeriodAsk | None = Field(
        default=None, description="Only records first written within it."
    )
    victim_kind: VictimKind | None = Field(default=None, description="Abuse or neglect only.")
    suspected_at: AwareDatetime | None = Field(
        default=None, description="Abuse or neglect: when the suspicion was recorded."
    )
    legal_process: LegalProcessAsk | None = Field(default=None, description="Court order only.")


class BreakGlassAsk(Request):
    """An emergency disclosure (imminent-risk grounds only), reviewed afterwards."""

    ground: ExceptionGround = Field(examples=[ExceptionGround.IMMINENT_RISK_SELF])
    recipient_id: Id = Field(examples=["ems-synth"])
    recipient_kind: RecipientKind = Field(examples=[RecipientKind.EMERGENCY_SERVICES])
    categories: Categories = Field(examples=[["demographics", "risk_assessment"]])
    justification: Words = Field(
        examples=["Synthetic reason: the client described a plan for tonight."]
    )


class RejectionAsk(Request):
    reason: Words = Field(examples=["Synthetic reason: the threat is not imminent."])


class ReviewAsk(Request):
    outcome: ReviewOutcome
    note: Words = Field(examples=["Synthetic finding: the emergency access was warranted."])


class WithholdAsk(Request):
    reason: WithholdReason
    review_on: date = Field(
        description="When to decide again: after today, within a year.", examples=["2026-06-01"]
    )


# Answers ---------------------------------------------------------------------------------------


class PeriodAnswer(Answer):
    start: datetime
    end: datetime | None


class DisclosureAnswer(Answer):
    """A request's codes, ids and times (its words only in ``GET /disclosures/{id}``)."""

    id: str
    client_id: str
    ground: ExceptionGround
    state: DisclosureState
    emergency: bool
    recipient_id: str
    recipient_kind: RecipientKind
    categories: list[Category]
    requested_by: str
    opened_at: datetime
    revision: int
    records_period: PeriodAnswer | None
    victim_kind: VictimKind | None
    suspected_at: datetime | None
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    disclosed_by: str | None
    disclosed_at: datetime | None
    package_sha256: str | None
    review_due: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_outcome: ReviewOutcome | None
    notified_at: datetime | None
    withheld_reason: WithholdReason | None
    withheld_until_review: date | None


class LegalProcessAnswer(Answer):
    kind: ProcessKind
    court: str
    case_number: str
    issued_on: date
    issued_by: str
    scope: str
    categories: list[Category]
    part2_findings: bool
    assurance: Assurance | None
    forbids_telling_client: bool


class DisclosureDetail(DisclosureAnswer):
    """One request in full, for its requester or the practice's oversight; the read is on the
    client's audit log."""

    justification: str
    decision_note: str | None = Field(description="A rejection's reason.")
    review_note: str | None
    legal_process: LegalProcessAnswer | None
    flags: list[QueueFlag] = Field(description="What it needs now, as in the work queue.")
    deadline: datetime | None


class PackageAnswer(Answer):
    """The package, produced once: keep it, it is not produced again."""

    sha256: str = Field(description="Over both parts' digests; on the request.")
    pdf_sha256: str
    fhir_sha256: str
    pdf_base64: str = Field(description="The PDF for a person (application/pdf), base64.")
    fhir_json: str = Field(
        description="The FHIR R4B Bundle for a system (application/fhir+json), as the exact "
        "text whose UTF-8 bytes fhir_sha256 digests."
    )


class ReleaseAnswer(Answer):
    request: DisclosureAnswer
    package: PackageAnswer


class QueueItemAnswer(Answer):
    request_id: str
    client_id: str
    ground: ExceptionGround
    victim_kind: VictimKind | None
    state: DisclosureState
    emergency: bool
    flags: list[QueueFlag]
    deadline: datetime | None


class QueueAnswer(Answer):
    rules: str = Field(description="The rule pack the deadlines come from.")
    items: list[QueueItemAnswer] = Field(description="Soonest deadline first.")


class GroundRuleAnswer(Answer):
    ground: ExceptionGround
    victim_kind: VictimKind | None
    duty: Duty
    approvers: list[Role]
    recipients: list[RecipientKind]
    report_within_hours: float | None
    cite: str
    summary: str


class SourceAnswer(Answer):
    cite: str
    title: str
    url: str | None


class RulesAnswer(Answer):
    id: str
    name: str
    extends: str | None
    checked: date
    grounds: list[GroundRuleAnswer]
    break_glass_window_minutes: float
    break_glass_review_within_hours: float
    sources: list[SourceAnswer]
