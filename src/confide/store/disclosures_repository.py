"""Exception disclosure requests in the store (decision 0013).

Columns hold codes, ids and times; the justification, the order's details and the notes on
decisions travel as one sealed blob the service seals and opens with the client's data key. A
request is updated only from the revision it was read at, so two people acting on it at once
cannot both succeed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from confide.domain import Category, ExceptionGround, Period, VictimKind
from confide.domain.disclosures import (
    Assurance,
    DisclosureRequest,
    DisclosureState,
    LegalProcess,
    ProcessKind,
    RecipientKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.store import schema as t
from confide.store.codes_column import join_codes, split_codes

DETAILS_CATEGORY = "disclosure_request"  # the category a sealed blob of details is bound to


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request's row: its columns, and its details still sealed."""

    row: Row[Any]
    sealed: bytes

    @property
    def client_id(self) -> str:
        """Whose record the request discloses."""
        return str(self.row.client_id)

    @property
    def revision(self) -> int:
        """The revision the details are sealed under."""
        return int(self.row.revision)


def details_of(request: DisclosureRequest) -> bytes:
    """What is sealed: the words of a request that may hold clinical facts, and a snapshot of
    every column that carries a decision (state, scope, recipient, who decided), so a column
    changed in the database without the client's key no longer matches its seal."""
    process = request.legal_process
    doc: dict[str, Any] = {
        "justification": request.justification,
        "decision_note": request.decision_note,
        "review_note": request.review_note,
        "columns": _snapshot(request),
    }
    if process is not None:
        doc["legal_process"] = {
            "court": process.court,
            "case_number": process.case_number,
            "issued_on": process.issued_on.isoformat(),
            "issued_by": process.issued_by,
            "scope": process.scope,
        }
    return json.dumps(doc, sort_keys=True).encode()


class DisclosuresRepository:
    """Reads and writes disclosure requests on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(self, request: DisclosureRequest, organisation_id: str, sealed: bytes) -> None:
        """Store a new request."""
        self.c.execute(
            insert(t.disclosure_requests).values(
                id=request.id, organisation_id=organisation_id, **_columns(request, sealed)
            )
        )

    def update(self, request: DisclosureRequest, sealed: bytes, read_at_revision: int) -> bool:
        """Store the request's next revision; False when someone changed it since it was read."""
        done = self.c.execute(
            update(t.disclosure_requests)
            .where(
                t.disclosure_requests.c.id == request.id,
                t.disclosure_requests.c.revision == read_at_revision,
            )
            .values(**_columns(request, sealed))
        )
        return done.rowcount == 1

    def get(self, request_id: str) -> StoredRequest | None:
        """One request, or None."""
        row = self.c.execute(
            select(t.disclosure_requests).where(t.disclosure_requests.c.id == request_id)
        ).first()
        return None if row is None else StoredRequest(row, bytes(row.sealed_details))

    def last_step_revision(self, client_id: str, request_id: str) -> int | None:
        """The revision the client's audit chain last recorded for the request: a row restored
        from an older copy, sealed details and all, no longer matches it."""
        e = t.audit_entries.c
        reasons = self.c.execute(
            select(e.reasons)
            .where(
                e.chain_id == client_id,
                e.record_id == request_id,
                e.action.like("disclosure\\_%", escape="\\"),
            )
            .order_by(e.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        if reasons is None:
            return None
        for reason in reasons.split(";"):
            if reason.startswith("revision="):
                return int(reason.removeprefix("revision="))
        return None

    def of_practice(self, organisation_id: str) -> list[StoredRequest]:
        """Every request of a practice, oldest first."""
        rows = self.c.execute(
            select(t.disclosure_requests)
            .where(t.disclosure_requests.c.organisation_id == organisation_id)
            .order_by(t.disclosure_requests.c.opened_at, t.disclosure_requests.c.id)
        )
        return [StoredRequest(r, bytes(r.sealed_details)) for r in rows]


class TamperedRequest(ValueError):
    """A request's row no longer matches what was sealed with it."""


def request_of(stored: StoredRequest, details: bytes) -> DisclosureRequest:
    """The request from its row and its opened details; raises ``TamperedRequest`` when a
    column differs from the snapshot sealed with it."""
    words = json.loads(details)
    request = _request_of(stored, words)
    if words.get("columns") != _snapshot(request):
        raise TamperedRequest(f"disclosure {request.id}: its row does not match its seal")
    return request


SEALED = "(sealed)"


def request_codes_of(stored: StoredRequest) -> DisclosureRequest:
    """The request from its row alone, for lists and queues: codes, ids and times; every word
    that is kept sealed reads "(sealed)"."""
    words: dict[str, Any] = {"justification": SEALED}
    if stored.row.process_kind is not None:
        words["legal_process"] = {
            "court": SEALED,
            "case_number": SEALED,
            "issued_on": stored.row.opened_at.date().isoformat(),
            "issued_by": SEALED,
            "scope": SEALED,
        }
    return _request_of(stored, words)


def _snapshot(request: DisclosureRequest) -> dict[str, Any]:
    """Every column but the seal, as JSON values."""
    return {
        key: _json_value(value)
        for key, value in _columns(request, b"").items()
        if key != "sealed_details"
    }


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _request_of(stored: StoredRequest, words: dict[str, Any]) -> DisclosureRequest:
    r = stored.row
    process = None
    if r.process_kind is not None:
        legal = words["legal_process"]
        process = LegalProcess(
            kind=ProcessKind(r.process_kind),
            court=legal["court"],
            case_number=legal["case_number"],
            issued_on=date.fromisoformat(legal["issued_on"]),
            issued_by=legal["issued_by"],
            scope=legal["scope"],
            categories=frozenset(Category(c) for c in split_codes(r.process_categories or "")),
            part2_findings=bool(r.part2_findings),
            assurance=None if r.assurance is None else Assurance(r.assurance),
            forbids_telling_client=bool(r.forbids_telling_client),
        )
    period = (
        None
        if r.records_from is None
        else Period(r.records_from, r.records_until, name="disclosure.records_period")
    )
    return DisclosureRequest(
        id=r.id,
        client_id=r.client_id,
        ground=ExceptionGround(r.ground),
        recipient_id=r.recipient_id,
        recipient_kind=RecipientKind(r.recipient_kind),
        categories=frozenset(Category(c) for c in split_codes(r.categories)),
        justification=words["justification"],
        requested_by=r.requested_by,
        opened_at=r.opened_at,
        state=DisclosureState(r.state),
        records_period=period,
        victim_kind=None if r.victim_kind is None else VictimKind(r.victim_kind),
        suspected_at=r.suspected_at,
        legal_process=process,
        emergency=bool(r.emergency),
        revision=r.revision,
        submitted_at=r.submitted_at,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        decision_note=words.get("decision_note"),
        disclosed_by=r.disclosed_by,
        disclosed_at=r.disclosed_at,
        package_sha256=r.package_sha256,
        review_due=r.review_due,
        reviewed_by=r.reviewed_by,
        reviewed_at=r.reviewed_at,
        review_outcome=None if r.review_outcome is None else ReviewOutcome(r.review_outcome),
        review_note=words.get("review_note"),
        notified_at=r.notified_at,
        withheld_reason=None if r.withheld_reason is None else WithholdReason(r.withheld_reason),
        withheld_until_review=r.withheld_until_review,
    )


def _columns(request: DisclosureRequest, sealed: bytes) -> dict[str, Any]:
    process = request.legal_process
    period = request.records_period
    return {
        "client_id": request.client_id,
        "ground": request.ground.value,
        "recipient_id": request.recipient_id,
        "recipient_kind": request.recipient_kind.value,
        "categories": join_codes(request.categories),
        "records_from": None if period is None else period.start,
        "records_until": None if period is None else period.end,
        "victim_kind": None if request.victim_kind is None else request.victim_kind.value,
        "suspected_at": request.suspected_at,
        "emergency": request.emergency,
        "state": request.state.value,
        "revision": request.revision,
        "requested_by": request.requested_by,
        "opened_at": request.opened_at,
        "submitted_at": request.submitted_at,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "disclosed_by": request.disclosed_by,
        "disclosed_at": request.disclosed_at,
        "package_sha256": request.package_sha256,
        "review_due": request.review_due,
        "reviewed_by": request.reviewed_by,
        "reviewed_at": request.reviewed_at,
        "review_outcome": None if request.review_outcome is None else request.review_outcome.value,
        "notified_at": request.notified_at,
        "withheld_reason": None
        if request.withheld_reason is None
        else request.withheld_reason.value,
        "withheld_until_review": request.withheld_until_review,
        "process_kind": None if process is None else process.kind.value,
        "process_categories": None if process is None else join_codes(process.categories),
        "part2_findings": process is not None and process.part2_findings,
        "assurance": None
        if process is None or process.assurance is None
        else process.assurance.value,
        "forbids_telling_client": process is not None and process.forbids_telling_client,
        "sealed_details": sealed,
    }
