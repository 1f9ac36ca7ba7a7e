"""The limits-of-confidentiality notice, who accessed a record, the accounting of
disclosures, and the audit log's own health."""

from __future__ import annotations

import base64
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
from confide.domain import InvalidValue, Role
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import history, notice, practice
from confide.services.audit import latest_checkpoint, verify_log
from confide.services.errors import NotFoundOrDenied
from confide.services.events import log_event

router = APIRouter(prefix="/api/v1", tags=["trust"])
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
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> HistoryPage:
    """Who accessed the record, when and why, newest first: for the client and their
    practice's privacy officer. Pages of at most 200; follow ``next_cursor``."""
    who.require(Scope.HISTORY_READ)
    require_id(client_id, "client_id")
    start = _offset(cursor)
    h = history.access_history(deps, client_id=client_id, by=who.actor_id)
    page = h.entries[start : start + limit]
    more = start + limit < len(h.entries)
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
        next_cursor=_cursor(start + limit) if more else None,
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
    allowed = who.role in (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)
    with deps.engine.begin() as c:
        log_event(
            deps, c, at=deps.clock.now(), by=who.actor_id, client_id=None, action="verify_audit",
            effect="permit" if allowed else "deny",
            rule="audit.verified" if allowed else "deny.not_audit_reader",
        )  # fmt: skip
    if not allowed:
        raise NotFoundOrDenied
    report = verify_log(deps.engine, request.app.state.verify_key)
    last = latest_checkpoint(deps.engine)
    problems = [b.describe() for b in report.breaks]
    return AuditStatus(
        intact=report.intact,
        chains=report.chains,
        entries=report.entries,
        problems=problems + report.checkpoint_problems,
        last_checkpoint_size=None if last is None else last.size,
        last_checkpoint_at=None if last is None else last.issued_at,
    )


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith("o") or not text[1:].isdigit():
            raise ValueError
        return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        raise InvalidValue("cursor", "not a cursor this API gave; start without one") from None
