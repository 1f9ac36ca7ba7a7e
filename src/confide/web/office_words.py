"""The privacy office's plain words: grounds, states, flags, lengths of time, and the rule pack.

Pages show these words; the services and the rule pack decide everything they describe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from confide.domain import ExceptionGround, Role
from confide.domain.disclosures import DisclosureRequest, DisclosureState, ReviewOutcome
from confide.policy.rule_packs import GROUND_KEYS, Duty, RulePack
from confide.web.pages import ROLE_NAMES

GROUND_NAMES = {
    ExceptionGround.IMMINENT_RISK_SELF: "Risk of serious harm to the client",
    ExceptionGround.IMMINENT_RISK_OTHERS: "Duty to warn or protect",
    ExceptionGround.ABUSE_NEGLECT: "Report of abuse or neglect",
    ExceptionGround.COURT_ORDER: "Court order",
}
STATE_NAMES = {
    DisclosureState.DRAFT: "draft, not yet sent for approval",
    DisclosureState.SUBMITTED: "waiting for approval",
    DisclosureState.APPROVED: "approved, not yet released",
    DisclosureState.REJECTED: "rejected",
    DisclosureState.WITHDRAWN: "withdrawn",
    DisclosureState.DISCLOSED: "released",
    DisclosureState.CLIENT_NOTIFIED: "released; the client was told",
    DisclosureState.NOTIFICATION_WITHHELD: "released; the client is not told for now",
}
FLAG_NAMES = {
    "awaiting_approval": "approval",
    "approved_not_released": "release",
    "report_due": "report due",
    "report_overdue": "report overdue",
    "review_due": "review of the emergency",
    "review_overdue": "review overdue",
    "client_notice_undecided": "decide whether the client is told",
    "withholding_review_due": "look again at not telling the client",
}
OUTCOME_NAMES = {ReviewOutcome.UPHELD: "upheld", ReviewOutcome.NOT_UPHELD: "not upheld"}


def span(delta: timedelta) -> str:
    """A length of time as people say it: 3 days, 5 h 20 min, 12 min."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def time_left(deadline: datetime | None, now: datetime) -> tuple[str | None, bool]:
    """How long is left before ``deadline`` (or how late it is), and whether it has passed."""
    if deadline is None:
        return None, False
    if now > deadline:
        return f"overdue by {span(now - deadline)}", True
    return f"{span(deadline - now)} left", False


def ground_name(r: DisclosureRequest) -> str:
    """The request's ground as a short name, with the kind of victim and an emergency."""
    name = GROUND_NAMES[r.ground]
    if r.victim_kind is not None:
        name += f" ({r.victim_kind.value.replace('_', ' ')})"
    if r.emergency:
        name += " — emergency"
    return name


def role_names(roles: Iterable[Role]) -> str:
    """Roles in plain words: supervisor or privacy officer."""
    return " or ".join(ROLE_NAMES.get(role, role.value) for role in sorted(roles))


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One ground of the rule pack in plain words."""

    ground: str
    duty: str
    approvers: str
    recipients: str
    deadline: str
    cite: str
    summary: str


def rule_rows(pack: RulePack) -> list[RuleRow]:
    """Every ground of ``pack`` (and each kind of victim it tells apart), in plain words."""
    rows = []
    for ground, kind in GROUND_KEYS:
        rule = pack.grounds[(ground, kind)]
        name = GROUND_NAMES[ground] + ("" if kind is None else f" ({kind.value.replace('_', ' ')})")
        within = rule.report_within
        rows.append(
            RuleRow(
                ground=name,
                duty="required" if rule.duty is Duty.MANDATORY else "allowed",
                approvers=role_names(rule.approvers),
                recipients=", ".join(sorted(k.label for k in rule.recipients)),
                deadline="—" if within is None else f"within {span(within)}",
                cite=rule.cite,
                summary=rule.summary,
            )
        )
    return rows
