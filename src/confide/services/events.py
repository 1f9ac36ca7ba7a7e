"""Access events the use cases write, and refusals put on record before they are raised."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy import Connection

from confide.domain import Category
from confide.services.deps import Deps, new_id
from confide.services.errors import NotFoundOrDenied
from confide.store.access_log import AccessEvent


def log_event(
    deps: Deps,
    c: Connection,
    *,
    at: datetime,
    by: str,
    client_id: str | None,
    action: str,
    effect: str,
    rule: str,
    categories: frozenset[Category] = frozenset(),
    record_id: str | None = None,
) -> None:
    """Append one access event (not a decision's) in the caller's transaction."""
    deps.access_log.append(
        c,
        AccessEvent(
            at, new_id("req"), by, client_id, action, None, categories, effect, rule, record_id
        ),
    )


def refuse(c: Connection) -> NoReturn:
    """Commit the refusal's access event, then refuse: every access is logged, refused ones too."""
    c.commit()
    raise NotFoundOrDenied
