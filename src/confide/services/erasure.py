"""Crypto-erasure: destroying a client's data key makes every record of theirs unreadable.

Nothing is deleted: the sealed versions stay where they are and the key that opened them is gone
(HIPAA keeps the record's history; erasure answers GDPR Art. 17 once no retention duty remains).
Refused while the client's retention period runs (``retain_until``), and only the privacy officer
of the client's practice may erase (decision 0010).
"""

from __future__ import annotations

from sqlalchemy import Connection

from confide.domain.validation import require_id
from confide.policy.administration import AdminAction, AdminRequest, authorise
from confide.services.deps import Deps
from confide.services.errors import Conflict
from confide.services.events import log_event, refuse
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository
from confide.vault import ErasureRefused, erase_data_key


def erase_client(deps: Deps, client_id: str, *, by: str) -> None:
    """Destroy the client's data key; raises ErasureRefused while retention runs."""
    require_id(by, "by")
    require_id(client_id, "client_id")
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        keys = KeysRepository(c)
        client = repo.client(client_id)
        decision = authorise(
            AdminRequest(
                AdminAction.ERASE_CLIENT,
                repo.actor(by),
                organisation_id=None if client is None else client.organisation_id,
                client_id=client_id,
            )
        )
        stored = keys.get(client_id)
        permitted = decision.permitted and stored is not None
        _log(deps, c, by, client_id if client is not None else None, permitted, decision.rule)
        if not permitted or stored is None:
            refuse(c)
        try:
            erase_data_key(stored, retain_until=keys.retain_until(client_id), now=now)
        except ErasureRefused:
            _log(deps, c, by, client_id, False, "deny.admin.retention_period_runs")
            c.commit()
            raise
        if not keys.erase(client_id, now):
            raise Conflict(f"the data key of client {client_id} was already erased")
    deps.vault.forget(client_id)


def _log(  # noqa: PLR0917 - the fields of one event
    deps: Deps, c: Connection, by: str, client_id: str | None, permitted: bool, rule: str
) -> None:
    log_event(
        deps,
        c,
        at=deps.clock.now(),
        by=by,
        client_id=client_id,
        action=AdminAction.ERASE_CLIENT.value,
        effect="permit" if permitted else "deny",
        rule=rule,
    )
