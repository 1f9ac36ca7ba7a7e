"""The limits-of-confidentiality notice, who accessed a record, the accounting of
disclosures, and the audit log's own health."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from confide.api.schemas import (
    AccountingAnswer,
    AccountingItem,
    Acknowledgment,
    AuditStatus,
    HistoryItem,
    HistoryPage,
    NoticeAnswer,
)
from confide.api.security import Caller, Services
from confide.domain import InvalidValue
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import history, notice, practice
from confide.services.audit_status import audit_status as audit_status_of

router = APIRouter(prefix="/api/v1", tags=["trust"])
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGE = 200


@router.get(
    "/clients/{client_id}/notice",
    responses={404: {"description": "not found, or you may not see it"}},
)
def notice_of(client_id: str, who: Caller, deps: Services) -> NoticeAnswer:
    """The limits-of-confidentiality notice in force, and whether the client acknowledged it."""
    who.require(Scope.RECORDS_READ)
    require_id(client_id, "client_id")
    s = notice.notice_status(deps, client_id, by=who.actor_id)
    return NoticeAnswer(
        client_id=s.client_id,
        version=None if s.current is None else s.current.version,
        text=s.text,
        acknowledged=list(s.acknowledged),
        needs_acknowledgment=s.needs_acknowledgment,
    )


@router.post("/clients/{client_id}/notice/acknowledgment", status_code=status.HTTP_204_NO_CONTENT)
def acknowledge(client_id: str, body: Acknowledgment, who: Caller, deps: Services) -> None:
    """The client acknowledges that they read this version of the notice."""
    who.require(Scope.CONSENTS_WRITE)
    require_id(client_id, "client_id")
    practice.acknowledge_notice(deps, client_id, body.version, by=who.actor_id)


@router.get(
    "/clients/{client_id}/access-history",
    responses={404: {"description": "not found, or you may not see it"}},
)
def access_history(
    client_id: str,
    who: Caller,
    deps: Services,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HistoryPage:
    """Who accessed the record, when and why, newest first: for the client and their
    practice's privacy officer. Pages of at most 200; follow ``next_cursor``.

    A cursor marks the last entry of the page it came with, so the next page starts just
    after it even though reading the history adds an entry at the front."""
    who.require(Scope.HISTORY_READ)
    require_id(client_id, "client_id")
    after = _position(cursor)
    h = history.access_history_page(
        deps, client_id=client_id, by=who.actor_id, limit=limit, after=after
    )
    page = h.entries
    return HistoryPage(
        client_id=h.client_id,
        chain_intact=h.chain_intact,
        entries=[
            HistoryItem(
                at=e.at,
                who=e.who,
                role=e.actor_role,
                what=e.what,
                why=e.why,
                outcome=e.outcome,
                allowed=e.allowed,
            )
            for e in page
        ],
        next_cursor=_cursor(page[-1]) if h.more else None,
    )


@router.get(
    "/clients/{client_id}/accounting",
    responses={404: {"description": "not found, or you may not see it"}},
)
def accounting(client_id: str, who: Caller, deps: Services) -> AccountingAnswer:
    """The accounting of disclosures of the last six years (HIPAA 164.528)."""
    who.require(Scope.HISTORY_READ)
    require_id(client_id, "client_id")
    a = history.accounting_of_disclosures(deps, client_id=client_id, by=who.actor_id)
    return AccountingAnswer(
        client_id=a.client_id,
        period_start=a.period_start,
        disclosures=[
            AccountingItem(at=d.at, recipient=d.recipient, what=d.what, ground=d.ground)
            for d in a.disclosures
        ],
        some_withheld=a.withheld,
        note=history.SUSPENSION_NOTE if a.withheld else history.EXCLUSIONS,
    )


@router.get("/audit/status", tags=["audit"])
def audit_status(request: Request, who: Caller, deps: Services) -> AuditStatus:
    """Verify every chain and checkpoint now (privacy officers and administrators)."""
    who.require(Scope.AUDIT_READ)
    status = audit_status_of(deps, request.app.state.verify_key, by=who.actor_id)
    report, last = status.report, status.last_checkpoint
    return AuditStatus(
        intact=status.intact,
        chains=report.chains,
        entries=report.entries,
        problems=status.problems,
        last_checkpoint_size=None if last is None else last.size,
        last_checkpoint_at=None if last is None else last.issued_at,
    )


_CURSOR = re.compile(r"k([0-9]{1,20})\.([0-9]{1,20})")


def _key(e: history.HistoryEntry) -> tuple[int, int]:
    """An entry's place in the newest-first order: its time (microseconds) and chain seq."""
    at = e.at
    return (at - _EPOCH) // timedelta(microseconds=1), e.seq


def _cursor(last: history.HistoryEntry) -> str:
    at, seq = _key(last)
    return base64.urlsafe_b64encode(f"k{at}.{seq}".encode()).decode()


def _position(cursor: str | None) -> history.Position | None:
    """The cursor's place; checked before anything is read, so a forged cursor is refused
    alike for every client, seen or not."""
    if cursor is None:
        return None
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii"))
    except (ValueError, UnicodeError):  # binascii.Error is a ValueError
        found = None
    if found is None:
        raise InvalidValue("cursor", "not a cursor this API gave; start without one")
    position = history.position_of(int(found.group(1)), int(found.group(2)))
    if position is None:
        raise InvalidValue("cursor", "not a cursor this API gave; start without one")
    return position
