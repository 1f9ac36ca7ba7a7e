"""The limits of confidentiality: exception disclosures and break-the-glass grants.

An exception disclosure discloses without consent on a legal ground (HIPAA 164.512(c), (e),
(j); 42 CFR 2.51, 2.64). It counts only once a second person approved it. Break-the-glass is
the emergency path: a named clinician gets access at once for a short window and the approval
becomes a mandatory review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from confide.domain.codes import EMERGENCY_GROUNDS, Category, ExceptionGround, VictimKind
from confide.domain.errors import InvalidValue
from confide.domain.period import Period, require_period
from confide.domain.validation import (
    parse_code,
    parse_codes,
    require_aware,
    require_id,
    require_optional_aware,
    require_text,
)


def require_victim_kind(ground: ExceptionGround, victim_kind: object) -> VictimKind | None:
    """An abuse or neglect report says who is thought to be harmed; other grounds say nothing."""
    if ground is not ExceptionGround.ABUSE_NEGLECT:
        if victim_kind is not None:
            raise InvalidValue("disclosure.victim_kind", "applies only to the abuse_neglect ground")
        return None
    if victim_kind is None:
        raise InvalidValue(
            "disclosure.victim_kind",
            "an abuse or neglect report must say who is thought to be harmed",
            allowed=[v.value for v in VictimKind],
        )
    return parse_code(VictimKind, victim_kind, "disclosure.victim_kind")


@dataclass(frozen=True, slots=True)
class Approval:
    """The second person's approval of an exception disclosure."""

    approver_id: str
    approved_at: datetime

    def __post_init__(self) -> None:
        require_id(self.approver_id, "approval.approver_id")
        object.__setattr__(
            self, "approved_at", require_aware(self.approved_at, "approval.approved_at")
        )


@dataclass(frozen=True, slots=True)
class ExceptionDisclosure:
    """A disclosure without consent on a legal ground, to one recipient, for ``window``."""

    id: str
    client_id: str
    ground: ExceptionGround
    recipient_id: str
    categories: frozenset[Category]
    window: Period
    requested_by: str
    justification: str
    approval: Approval | None = None
    victim_kind: VictimKind | None = None
    # 42 CFR 2.64(d)-(e): a court order for substance-use records needs the court's findings.
    part2_court_findings: bool = False
    notify_client: bool = True
    records_period: Period | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "disclosure.id")
        require_id(self.client_id, "disclosure.client_id")
        object.__setattr__(
            self, "ground", parse_code(ExceptionGround, self.ground, "disclosure.ground")
        )
        require_id(self.recipient_id, "disclosure.recipient_id")
        object.__setattr__(
            self, "categories", parse_codes(Category, self.categories, "disclosure.categories")
        )
        # An approved disclosure must lapse: an open window would disclose forever.
        require_period(self.window, "disclosure.window", bounded=True)
        if self.records_period is not None:
            require_period(self.records_period, "disclosure.records_period")
        if self.approval is not None and not isinstance(self.approval, Approval):
            raise InvalidValue("disclosure.approval", "must be an approval (approver and time)")
        require_id(self.requested_by, "disclosure.requested_by")
        require_text(self.justification, "disclosure.justification")
        if self.approval is not None and self.approval.approver_id == self.requested_by:
            raise InvalidValue(
                "disclosure.approval.approver_id",
                "the approver must be a second person, not the requester",
            )
        object.__setattr__(self, "victim_kind", require_victim_kind(self.ground, self.victim_kind))
        if self.part2_court_findings and self.ground is not ExceptionGround.COURT_ORDER:
            raise InvalidValue(
                "disclosure.part2_court_findings", "applies only to the court_order ground"
            )

    @property
    def is_approved(self) -> bool:
        """True once a second person approved the disclosure."""
        return self.approval is not None


@dataclass(frozen=True, slots=True)
class BreakGlassGrant:
    """Emergency access for one clinician to one client, from ``opened_at`` to ``expires_at``."""

    id: str
    clinician_id: str
    client_id: str
    ground: ExceptionGround
    opened_at: datetime
    expires_at: datetime
    justification: str
    reviewed_at: datetime | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "break_glass.id")
        require_id(self.clinician_id, "break_glass.clinician_id")
        require_id(self.client_id, "break_glass.client_id")
        object.__setattr__(
            self, "ground", parse_code(ExceptionGround, self.ground, "break_glass.ground")
        )
        if self.ground not in EMERGENCY_GROUNDS:
            raise InvalidValue(
                "break_glass.ground",
                "break-the-glass is only for an imminent risk of harm",
                allowed=sorted(g.value for g in EMERGENCY_GROUNDS),
            )
        object.__setattr__(
            self, "opened_at", require_aware(self.opened_at, "break_glass.opened_at")
        )
        object.__setattr__(
            self, "expires_at", require_aware(self.expires_at, "break_glass.expires_at")
        )
        if self.expires_at <= self.opened_at:
            raise InvalidValue(
                "break_glass.expires_at", "must be after opened_at; give a short window"
            )
        require_text(self.justification, "break_glass.justification")
        object.__setattr__(
            self, "reviewed_at", require_optional_aware(self.reviewed_at, "break_glass.reviewed_at")
        )
