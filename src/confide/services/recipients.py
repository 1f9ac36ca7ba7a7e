"""Who a consent or a disclosure may name: the organisations and recipients on file.

Forms offer them as choices, so a person need not know an id by heart. The list names no
client and nothing clinical; asking for it is logged on the system chain like any other view.
"""

from __future__ import annotations

from dataclasses import dataclass

from confide.domain import Role
from confide.domain.validation import require_id
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.store.practice_repository import PracticeRepository

# Recipients themselves (a police department, a court) have no use for the list.
_MAY_LIST = frozenset(
    {Role.CLIENT, Role.REPRESENTATIVE, Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER,
     Role.STAFF}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecipientOnFile:
    """One possible recipient: an organisation, or a person at one."""

    id: str
    organisation: str
    kind: str  # "organisation" or "person"

    @property
    def label(self) -> str:
        """How a form shows it: the id and, where known, the organisation's name."""
        return f"{self.id} ({self.organisation})" if self.organisation else self.id


def recipients_on_file(deps: Deps, *, by: str) -> list[RecipientOnFile]:
    """The organisations and recipients on file, for a client or a member of a practice;
    anyone else is refused (NotFoundOrDenied)."""
    require_id(by, "by")
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        actor = repo.actor(by)
        permitted = actor is not None and actor.role in _MAY_LIST
        log_event(
            deps, c, at=deps.clock.now(), by=by, client_id=None, action="view_recipients",
            effect="permit" if permitted else "deny",
            rule="recipients.listed" if permitted else "deny.not_permitted",
        )  # fmt: skip
        if not permitted:
            refuse(c)
        return [RecipientOnFile(*row) for row in repo.recipients()]
