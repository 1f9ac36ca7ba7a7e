"""The audit log's health, as a privacy officer or administrator asks for it.

The whole log is verified (a break anywhere is a break of the server's log), but a practice's
people see the problems of their own practice's chains only: a break in another practice's chain
is counted, never named, since a chain's id is a client's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from confide.audit.entries import SYSTEM_CHAIN, ChainBreak
from confide.audit.signing import SignedCheckpoint, VerifyKey
from confide.domain import Actor, Role
from confide.services.audit import VerifyReport, latest_checkpoint, verify_log
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.store.practice_repository import PracticeRepository

AUDIT_READERS = frozenset({Role.PRIVACY_OFFICER, Role.ADMINISTRATOR})
# The public key, or how to load it when asked (a server reads the signing key file each time,
# so a missing key fails the request and a restored one works without a restart).
VerifyKeySource = VerifyKey | Callable[[], VerifyKey] | None


@dataclass(frozen=True, slots=True)
class AuditStatus:
    """What verification found now (problems of the asker's practice only), and the last
    signed checkpoint."""

    report: VerifyReport
    last_checkpoint: SignedCheckpoint | None
    breaks_elsewhere: int = 0

    @property
    def intact(self) -> bool:
        """The whole log verifies: no problem here, and none in another practice's chains."""
        return self.report.intact and self.breaks_elsewhere == 0

    @property
    def problems(self) -> list[str]:
        """Each problem in words: this practice's named, the others' only counted."""
        lines = [b.describe() for b in self.report.breaks] + self.report.checkpoint_problems
        if self.breaks_elsewhere:
            lines.append(
                f"{self.breaks_elsewhere} broken chain(s) of other practices on this server; "
                "their privacy officers see which"
            )
        return lines


def audit_status(deps: Deps, verify_key: VerifyKeySource, *, by: str) -> AuditStatus:
    """Verify every chain and checkpoint, for a privacy officer or an administrator; the
    asking (allowed or refused) is on the system chain. A key that cannot be loaded raises
    ``SigningKeyUnavailable`` (after the asking is on record)."""
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(by)
        allowed = actor is not None and actor.role in AUDIT_READERS
        log_event(
            deps, c, at=deps.clock.now(), by=by, client_id=None, action="verify_audit",
            effect="permit" if allowed else "deny",
            rule="audit.verified" if allowed else "deny.not_audit_reader",
        )  # fmt: skip
        if not allowed or actor is None:
            refuse(c)
    key = verify_key() if callable(verify_key) else verify_key
    report = verify_log(deps.engine, key)
    own, elsewhere = _split_breaks(deps, actor, report.breaks)
    return AuditStatus(replace(report, breaks=own), latest_checkpoint(deps.engine), elsewhere)


def _split_breaks(
    deps: Deps, actor: Actor, breaks: list[ChainBreak]
) -> tuple[list[ChainBreak], int]:
    """The breaks in the system chain and the asker's practice's clients' chains, and how
    many others there are. Someone of no practice (an operator's account) sees them all."""
    if actor.organisation_id is None or not breaks:
        return list(breaks), 0
    own: list[ChainBreak] = []
    with deps.engine.connect() as c:
        repo = PracticeRepository(c)
        for b in breaks:
            client = None if b.chain_id == SYSTEM_CHAIN else repo.client(b.chain_id)
            if b.chain_id == SYSTEM_CHAIN or (
                client is not None and client.organisation_id == actor.organisation_id
            ):
                own.append(b)
    return own, len(breaks) - len(own)
