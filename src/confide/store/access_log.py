"""The access log: one row per decision or write, in the same transaction as the action.

It holds ids, codes and the decision's rule, never content. The tamper-evident audit log
replaces this table behind the same ``AccessLog`` interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, insert

from confide.domain import Category, Purpose
from confide.store import schema as t
from confide.store.codes_column import join_codes


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """What happened: who, to which client, what, why, and what was decided."""

    at: datetime
    request_id: str
    actor_id: str
    client_id: str | None
    action: str
    purpose: Purpose | None
    categories: frozenset[Category]
    effect: str
    rule: str
    record_id: str | None = None
    permitted: frozenset[Category] = frozenset()
    record_ids: tuple[str, ...] = ()


class AccessLog(Protocol):
    """Appends access events on the caller's connection, inside the caller's transaction."""

    def append(self, connection: Connection, event: AccessEvent) -> None:
        """Append one event."""
        ...


class TableAccessLog:
    """The access log as a plain append-only table."""

    def append(self, connection: Connection, event: AccessEvent) -> None:
        connection.execute(
            insert(t.access_events).values(
                at=event.at,
                request_id=event.request_id,
                actor_id=event.actor_id,
                client_id=event.client_id,
                action=event.action,
                purpose=None if event.purpose is None else event.purpose.value,
                categories=join_codes(event.categories),
                effect=event.effect,
                rule=event.rule,
                record_id=event.record_id,
                permitted=join_codes(event.permitted),
                record_ids=",".join(event.record_ids),
            )
        )
