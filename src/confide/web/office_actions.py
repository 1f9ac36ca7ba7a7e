"""Which steps a request's page offers the person looking, mirroring ``disclosure_rules``.

The page shows only the buttons that make sense for the request's state and the person; the
services still decide (and audit) every step whatever a page offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from confide.domain import ExceptionGround, Role
from confide.domain.disclosures import (
    AFTER_DISCLOSURE,
    OPEN_STATES,
    DisclosureRequest,
    DisclosureState,
)
from confide.policy import disclosure_rules
from confide.policy.rule_packs import Duty, RulePack
from confide.services.accounts import Principal

OVERSIGHT = frozenset({Role.SUPERVISOR, Role.PRIVACY_OFFICER})


def may_approve(r: DisclosureRequest, who: Principal, pack: RulePack) -> bool:
    """Whether ``who`` is a second person of a role the rule pack names for the ground."""
    if r.requested_by == who.actor_id:
        return False
    return who.role in pack.rule(r.ground, r.victim_kind).approvers


def release_by(r: DisclosureRequest) -> datetime | None:
    """When an approved request's approval lapses (its package can no longer be produced)."""
    if r.state is not DisclosureState.APPROVED or r.decided_at is None:
        return None
    return disclosure_rules.disclosure_window(r).end


@dataclass(frozen=True, slots=True)
class Actions:
    """Which steps make sense now for the person looking (the services decide each anyway)."""

    submit: bool = False
    approve: bool = False
    reject: bool = False
    withdraw: bool = False
    release: bool = False
    review: bool = False
    told: bool = False
    withhold: bool = False

    @property
    def any(self) -> bool:
        """Whether there is anything to do."""
        return any(
            (self.submit, self.approve, self.reject, self.withdraw, self.release, self.review,
             self.told, self.withhold)
        )  # fmt: skip


def actions_for(r: DisclosureRequest, who: Principal, pack: RulePack, now: datetime) -> Actions:
    """The steps to offer ``who`` on ``r``, mirroring the rules of ``disclosure_rules``."""
    mine = r.requested_by == who.actor_id
    oversight = who.role in OVERSIGHT
    officer = who.role is Role.PRIVACY_OFFICER
    rule = pack.rule(r.ground, r.victim_kind)
    approver = may_approve(r, who, pack)
    deciding = r.state is DisclosureState.SUBMITTED and not r.emergency and approver
    mandated = r.ground is ExceptionGround.ABUSE_NEGLECT and rule.duty is Duty.MANDATORY
    lapse = release_by(r)
    return Actions(
        submit=r.state is DisclosureState.DRAFT and not r.emergency and mine,
        approve=deciding,
        reject=deciding,
        withdraw=(
            r.state in OPEN_STATES and not r.emergency and (mine or (officer and not mandated))
        ),
        release=lapse is not None and now < lapse and (mine or officer),
        review=(r.emergency and r.reviewed_at is None and r.state in AFTER_DISCLOSURE and approver),
        told=(r.state is DisclosureState.DISCLOSED and (mine or oversight))
        or (r.state is DisclosureState.NOTIFICATION_WITHHELD and oversight),
        withhold=r.state in {DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD}
        and oversight,
    )
