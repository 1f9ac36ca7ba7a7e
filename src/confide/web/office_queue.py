"""The work queue of supervisors and privacy officers, in sections, soonest deadline first.

``disclosures.work_queue`` says which requests need someone and why (their flags); this splits
them into what the person looking must act on, each row with its deadline in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from confide.domain import ExceptionGround
from confide.domain.disclosures import DisclosureRequest, DisclosureState
from confide.policy import disclosure_rules
from confide.policy.rule_packs import RulePack
from confide.services.accounts import Principal
from confide.services.disclosures import QueueItem
from confide.web.office_actions import may_approve, release_by
from confide.web.office_words import FLAG_NAMES, STATE_NAMES, ground_name, time_left


@dataclass(frozen=True, slots=True)
class Row:
    """One request in one section of the queue."""

    request_id: str
    client_id: str
    ground: str
    state: str
    needs: str
    deadline: datetime | None
    left: str | None
    overdue: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the queue: what it is for, its rows, and what it says when empty."""

    key: str
    heading: str
    hint: str
    empty: str
    deadline_label: str
    rows: list[Row]


# Each section's key, heading, hint, words when empty and deadline label, in the page's order.
_SECTIONS = (
    (
        "approval", "Waiting for my approval",
        "Requests a second person of your role must approve or reject. The deadline is the "
        "law's reporting deadline, where there is one.",
        "Nothing is waiting for your approval.", "Deadline",
    ),
    (
        "reviews", "Emergency disclosures to review",
        "Break-the-glass disclosures made at once by a treating clinician; a second person "
        "reviews each one by its deadline.",
        "No emergency disclosure is waiting for review.", "Review by",
    ),
    (
        "court", "Court orders",
        "Orders and subpoenas the practice is answering, whatever they need now.",
        "No court order needs attention.", "Deadline",
    ),
    (
        "reports", "Mandated reports due or overdue",
        "Reports of abuse or neglect: the statutory deadline runs from when the suspicion "
        "was recorded. Act on overdue ones today.",
        "No mandated report is due or overdue.", "Due by",
    ),
    (
        "release", "Approved, waiting to be released",
        "The requester or the privacy officer releases the package; an approval lapses "
        f"after {disclosure_rules.DISCLOSURE_WINDOW.days} days.",
        "No approved request is waiting to be released.", "Release by",
    ),
    (
        "notice", "Telling the client",
        "Releases where the client has not been told, and decisions not to tell them that "
        "are due to be looked at again.",
        "No decision about telling a client is owed.", "Deadline",
    ),
    (
        "mine", "My own open requests",
        "Requests you opened that someone must act on. A draft appears here once sent for "
        "approval.",
        "You have no open requests waiting on anyone.", "Deadline",
    ),
)  # fmt: skip


def _row(item: QueueItem, now: datetime, deadline: datetime | None, note: str | None = None) -> Row:
    r = item.request
    left, overdue = time_left(deadline, now)
    needs = ", ".join(FLAG_NAMES.get(f, f.replace("_", " ")) for f in item.flags)
    return Row(
        r.id, r.client_id, ground_name(r), STATE_NAMES[r.state], needs, deadline, left,
        overdue, note,
    )  # fmt: skip


def _notice_note(r: DisclosureRequest) -> str:
    if r.state is DisclosureState.NOTIFICATION_WITHHELD and r.withheld_until_review is not None:
        return f"Withheld; to be decided again on {r.withheld_until_review.isoformat()}"
    return "No decision recorded yet"


def _rows_by_section(
    items: Iterable[QueueItem], who: Principal, pack: RulePack, now: datetime
) -> dict[str, list[Row]]:
    """Each item's row in every section it belongs to (one item may be in several)."""
    rows: dict[str, list[Row]] = {key: [] for key, *_ in _SECTIONS}
    for item in items:
        r, flags = item.request, set(item.flags)
        own = r.requested_by == who.actor_id
        if "awaiting_approval" in flags and may_approve(r, who, pack):
            rows["approval"].append(_row(item, now, item.deadline))
        if flags & {"review_due", "review_overdue"} and not own:
            rows["reviews"].append(_row(item, now, r.review_due))
        if r.ground is ExceptionGround.COURT_ORDER:
            rows["court"].append(_row(item, now, release_by(r) or item.deadline))
        if flags & {"report_due", "report_overdue"}:
            rows["reports"].append(_row(item, now, disclosure_rules.report_deadline(r, pack)))
        if "approved_not_released" in flags:
            rows["release"].append(_row(item, now, release_by(r)))
        if flags & {"client_notice_undecided", "withholding_review_due"}:
            rows["notice"].append(_row(item, now, None, _notice_note(r)))
        if own:
            rows["mine"].append(_row(item, now, item.deadline))
    rows["reports"].sort(key=lambda row: (not row.overdue, row.deadline or now))
    return rows


def queue_sections(
    items: Iterable[QueueItem], who: Principal, pack: RulePack, now: datetime
) -> list[Section]:
    """The work queue split into what the person looking must act on, soonest first."""
    rows = _rows_by_section(items, who, pack, now)
    return [
        Section(key, heading, hint, empty, label, rows[key])
        for key, heading, hint, empty, label in _SECTIONS
    ]
