"""The audit log's health, as a privacy officer or administrator asks for it over the API."""

from __future__ import annotations

from dataclasses import dataclass

from confide.audit.signing import SignedCheckpoint, VerifyKey
from confide.domain import Role
from confide.services.audit import VerifyReport, latest_checkpoint, verify_log
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.store.practice_repository import PracticeRepository

AUDIT_READERS = frozenset({Role.PRIVACY_OFFICER, Role.ADMINISTRATOR})


@dataclass(frozen=True, slots=True)
class AuditStatus:
    """What verification found now, and the last signed checkpoint."""

    report: VerifyReport
    last_checkpoint: SignedCheckpoint | None


def audit_status(deps: Deps, verify_key: VerifyKey | None, *, by: str) -> AuditStatus:
    """Verify every chain and checkpoint, for a privacy officer or an administrator; the
    asking (allowed or refused) is on the system chain."""
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(by)
        allowed = actor is not None and actor.role in AUDIT_READERS
        log_event(
            deps, c, at=deps.clock.now(), by=by, client_id=None, action="verify_audit",
            effect="permit" if allowed else "deny",
            rule="audit.verified" if allowed else "deny.not_audit_reader",
        )  # fmt: skip
        if not allowed:
            refuse(c)
    return AuditStatus(verify_log(deps.engine, verify_key), latest_checkpoint(deps.engine))
