"""The limits-of-confidentiality notice a client reads at intake, and whether they must read it
again: a newer version than the one they acknowledged asks for a new acknowledgment.

The practice publishes versions (``practice.publish_notice``); a version without its own text
shows confide's plain-language default (``confide/notices/limits-of-confidentiality.md``).
Reading the status names the client, so it is authorised and logged like any access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

from confide.domain import NoticeVersion, Role
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.store.practice_repository import PracticeRepository

_PRACTICE_ROLES = frozenset(
    {Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER, Role.STAFF, Role.ADMINISTRATOR}
)


@cache
def default_notice_text() -> str:
    """confide's plain-language notice of the three limits of confidentiality."""
    notice = resources.files("confide") / "notices" / "limits-of-confidentiality.md"
    return notice.read_text("utf-8")


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    """The notice in force, its text, and where the client stands with it."""

    client_id: str
    current: NoticeVersion | None
    text: str
    acknowledged: tuple[str, ...]  # versions the client acknowledged
    as_of: datetime

    @property
    def needs_acknowledgment(self) -> bool:
        """A notice is in force and the client has not acknowledged that version."""
        return self.current is not None and self.current.version not in self.acknowledged


def notice_status(deps: Deps, client_id: str, *, by: str) -> NoticeStatus:
    """The client's own view (or their practice's): the current notice and whether it still
    needs the client's acknowledgment."""
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        actor = repo.actor(by)
        client = repo.client(client_id)
        now = deps.clock.now()
        allowed = (
            actor is not None
            and client is not None
            and (
                (actor.role is Role.CLIENT and actor.id == client.id)
                or (
                    actor.role in _PRACTICE_ROLES
                    and actor.organisation_id == client.organisation_id
                )
            )
        )
        log_event(
            deps,
            c,
            at=now,
            by=by,
            client_id=client_id,
            action="notice_status",
            effect="permit" if allowed else "deny",
            rule="notice.status" if allowed else "deny.notice.not_the_client_or_practice",
        )
        if not allowed:
            refuse(c)
        facts = repo.facts_for(client_id, by)
    current = facts.current_notice(now)
    acknowledged = tuple(sorted(facts.acknowledged.get(client_id, {})))
    text = default_notice_text() if current is None or current.text is None else current.text
    return NoticeStatus(client_id, current, text, acknowledged, now)
