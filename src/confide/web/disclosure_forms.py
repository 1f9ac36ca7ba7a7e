"""Exception-disclosure forms: from what a person typed to a ``DisclosureAsk``, and back.

A form's fields all arrive as text (``DisclosureForm``). ``ask_of`` turns them into the ask the
services take, refusing a value it cannot read with ``InvalidValue`` named by the *form's*
field; the services refuse the rest by their own field names, which ``form_field`` maps back to
the form's, so a page can put the problem next to the right input. The choices a form offers
come from the same rules the services apply (``offered_categories``, ``allowed_recipients``),
and the words for a request's state and flags are here for any page that shows one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from confide.domain import Category, ExceptionGround, InvalidValue, Period
from confide.domain.disclosures import Assurance, LegalProcess, ProcessKind, RecipientKind
from confide.domain.validation import EARLIEST_YEAR, LATEST_YEAR
from confide.policy.minimum_necessary import MINIMUM_NECESSARY
from confide.policy.rule_packs import GROUND_KEYS, RulePack
from confide.services.disclosures import DisclosureAsk

# Generous caps against abuse; the domain's own limits (2,000 and 500 characters) are refused
# by field, so the form comes back with what was typed.
E = TypeVar("E", ExceptionGround, Assurance, ProcessKind)
_WORDS = 20_000
_SHORT = 2_000


class DisclosureForm(BaseModel):
    """The exception-disclosure form (and the break-the-glass form) as typed."""

    model_config = ConfigDict(extra="ignore")

    ground: str = Field(default="", max_length=40)
    recipient_id: str = Field(default="", max_length=_SHORT)
    recipient_kind: str = Field(default="", max_length=40)
    categories: list[str] = Field(default_factory=list, max_length=len(Category))
    justification: str = Field(default="", max_length=_WORDS)
    records_from: str = Field(default="", max_length=20)
    records_to: str = Field(default="", max_length=20)
    victim_kind: str = Field(default="", max_length=40)
    suspected_at: str = Field(default="", max_length=40)
    process_kind: str = Field(default="", max_length=40)
    court: str = Field(default="", max_length=_SHORT)
    case_number: str = Field(default="", max_length=_SHORT)
    issued_on: str = Field(default="", max_length=20)
    issued_by: str = Field(default="", max_length=_SHORT)
    scope: str = Field(default="", max_length=_SHORT)
    order_categories: list[str] = Field(default_factory=list, max_length=len(Category))
    part2_findings: str = Field(default="", max_length=10)
    assurance: str = Field(default="", max_length=40)
    forbids_telling_client: str = Field(default="", max_length=10)
    next: str = Field(default="submit", max_length=10)


FORM_FIELDS = frozenset(DisclosureForm.model_fields) - {"next"}
_SERVICE_FIELDS = {
    "legal_process.kind": "process_kind",
    "legal_process.categories": "order_categories",
    "disclosure.records_period": "records_from",
    "records_period.start": "records_from",
    "records_period.end": "records_to",
}


def form_field(service_field: str) -> str | None:
    """The form field a refusal names (``disclosure.recipient_id`` → ``recipient_id``), or
    None when it concerns the request as a whole (who opens it, its state)."""
    if service_field in _SERVICE_FIELDS:
        return _SERVICE_FIELDS[service_field]
    name = service_field.removeprefix("disclosure.").removeprefix("legal_process.")
    return name if name in FORM_FIELDS else None


def ask_of(client_id: str, form: DisclosureForm) -> DisclosureAsk:
    """The ask the form describes; a value it cannot read is refused by the form's field."""
    ground = _code(ExceptionGround, form.ground, "ground")
    return DisclosureAsk(
        client_id=client_id,
        ground=ground,
        recipient_id=form.recipient_id.strip(),
        recipient_kind=form.recipient_kind,
        categories=frozenset(form.categories),
        justification=form.justification,
        records_period=_records_period(form.records_from, form.records_to),
        victim_kind=form.victim_kind or None,
        suspected_at=_moment(form.suspected_at, "suspected_at") if form.suspected_at else None,
        legal_process=_process(form) if ground is ExceptionGround.COURT_ORDER else None,
    )


def offered_categories(ground: ExceptionGround) -> list[Category]:
    """The categories a request on ``ground`` may ever hold (its minimum necessary), in order
    of sensitivity; psychotherapy notes only for a court order."""
    return sorted(MINIMUM_NECESSARY[ground], key=lambda c: c.sensitivity)


def allowed_recipients(pack: RulePack, ground: ExceptionGround) -> list[RecipientKind]:
    """The kinds of recipient the rule pack allows on ``ground`` (for abuse or neglect, for any
    kind of victim: the services check the pair)."""
    kinds: set[RecipientKind] = set()
    for key in GROUND_KEYS:
        if key[0] is ground:
            kinds |= pack.grounds[key].recipients
    return sorted(kinds, key=lambda k: list(RecipientKind).index(k))


@dataclass(frozen=True, slots=True)
class GroundChoice:
    """A ground as a form offers it: its code, a title, and what it is for, in plain words."""

    ground: ExceptionGround
    title: str
    explanation: str
    opened_by: str


GROUND_CHOICES = (
    GroundChoice(
        ExceptionGround.IMMINENT_RISK_SELF,
        "Imminent risk to the client",
        "The client is at serious and imminent risk of harming themself, and someone (such as "
        "emergency services or family) could prevent it.",
        "the client's treating clinician",
    ),
    GroundChoice(
        ExceptionGround.IMMINENT_RISK_OTHERS,
        "Imminent risk to someone else (duty to warn or protect)",
        "The client has made a serious threat against someone, and warning the person "
        "threatened, the police or emergency services could prevent it.",
        "the client's treating clinician",
    ),
    GroundChoice(
        ExceptionGround.ABUSE_NEGLECT,
        "Suspected abuse or neglect (mandated report)",
        "You suspect that a child, an older adult or a dependent adult is being abused or "
        "neglected, and the law requires or allows a report to the agency that protects them.",
        "any clinician of the practice",
    ),
    GroundChoice(
        ExceptionGround.COURT_ORDER,
        "A court order or subpoena",
        "The practice was served with a court order or a subpoena for the client's records; "
        "only what the order names may be disclosed.",
        "the privacy officer",
    ),
)

STATE_WORDS = {
    "draft": "Draft: nothing has been sent",
    "submitted": "Waiting for approval",
    "approved": "Approved, not yet released",
    "rejected": "Rejected: nothing was disclosed",
    "withdrawn": "Withdrawn: nothing was disclosed",
    "disclosed": "Released",
    "client_notified": "Released; the client was told",
    "notification_withheld": "Released; telling the client is put off for now",
}
"""A request's state in plain words."""

FLAG_WORDS = {
    "awaiting_approval": "waiting for a second person's approval",
    "approved_not_released": "approved and not yet released",
    "report_due": "the report is due",
    "report_overdue": "the report is overdue",
    "review_due": "the emergency release must be reviewed",
    "review_overdue": "the review of the emergency release is overdue",
    "client_notice_undecided": "the client has not been told, and no reason not to is recorded",
    "withholding_review_due": "the decision not to tell the client is due to be looked at again",
}
"""Why a request needs someone's attention, in plain words (the work queue's flags)."""


def _code(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise InvalidValue(field, "choose one of the options listed") from None


def _day(value: str, field: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(field, "a date, such as 2026-11-28") from None
    # The domain's range: a last day of 9999-12-31 has no midnight after it to end on.
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidValue(field, f"a date between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return day


def _moment(value: str, field: str) -> datetime:
    """A date and time as a form's ``datetime-local`` gives it, read as UTC."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(field, "a date and time, such as 2026-11-28T09:00 (UTC)") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _records_period(first: str, last: str) -> Period | None:
    """The records written from ``first`` to ``last`` (both days included), or None."""
    if not first.strip() and not last.strip():
        return None
    if not first.strip():
        raise InvalidValue("records_from", "give the first day too, or leave both dates empty")
    start = datetime.combine(_day(first, "records_from"), time(), UTC)
    end = None
    if last.strip():
        end = datetime.combine(_day(last, "records_to") + timedelta(days=1), time(), UTC)
    return Period(start, end, name="records_period")


def _process(form: DisclosureForm) -> LegalProcess:
    if not form.issued_on.strip():
        raise InvalidValue("issued_on", "the date the order was issued")
    return LegalProcess(
        kind=_code(ProcessKind, form.process_kind or ProcessKind.COURT_ORDER, "process_kind"),
        court=form.court,
        case_number=form.case_number,
        issued_on=_day(form.issued_on, "issued_on"),
        issued_by=form.issued_by,
        scope=form.scope,
        categories=frozenset(form.order_categories),  # type: ignore[arg-type]  # parsed there
        part2_findings=bool(form.part2_findings),
        assurance=_code(Assurance, form.assurance, "assurance") if form.assurance else None,
        forbids_telling_client=bool(form.forbids_telling_client),
    )
