"""A page of the access history read by keyset in SQL, and the chain's integrity checked from the
last verified entry (decision 0022), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from confide.audit.entries import BreakKind
from confide.audit.signing import SigningKey
from confide.domain import Category, Purpose
from confide.services import history
from confide.services.audit import verify_log
from confide.services.deps import Deps, new_id
from confide.services.history import HistoryEntry, Position
from confide.store import schema as t
from confide.store.access_log import AccessEvent
from tests.integration.conftest import T0, Practice
from tests.integration.test_audit_tamper import as_owner

E = t.audit_entries
DIAGNOSIS = frozenset({Category.DIAGNOSIS})


def _log_reads(deps: Deps, p: Practice, count: int) -> None:
    """``count`` entries whose times repeat and run against the seq order, so the page order
    (time, then seq, newest first) differs from the chain's."""
    with deps.engine.begin() as c:
        for i in range(count):
            at = T0 - timedelta(days=400) + timedelta(minutes=(i * 37) % 101)
            deps.access_log.append(
                c,
                AccessEvent(
                    at=at,
                    request_id=new_id("req"),
                    actor_id=p.clinician if i % 3 else p.outsider,
                    client_id=p.client,
                    action="read",
                    purpose=Purpose.TREAT,
                    categories=DIAGNOSIS,
                    effect="permit" if i % 4 else "deny",
                    rule="permit.treating_clinician" if i % 4 else "deny.no_permission",
                    permitted=DIAGNOSIS if i % 4 else frozenset(),
                    reasons=("diagnosis=test",),
                ),
            )


def _key(e: HistoryEntry) -> tuple[object, int]:
    return e.at, e.seq


@pytest.mark.parametrize("viewer", ["client", "officer"])
def test_a_page_from_the_middle_is_the_whole_history_page(
    deps: Deps, small_practice: Practice, viewer: str
) -> None:
    p = small_practice
    _log_reads(deps, p, 260)
    by = p.client if viewer == "client" else p.officer
    whole = history.access_history(deps, client_id=p.client, by=by).entries
    assert len(whole) > 260
    limit = 37
    cursor: Position | None = Position(whole[100].at, whole[100].seq)
    pages = 0
    while cursor is not None:
        # What the route did before: the whole history, then the cursor applied in Python.
        older = [e for e in whole if _key(e) < (cursor.at, cursor.seq)]
        expected = older[:limit]
        expected_next = _key(expected[-1]) if len(older) > limit else None
        page = history.access_history_page(
            deps, client_id=p.client, by=by, limit=limit, after=cursor
        )
        assert page.entries == tuple(expected)
        got_next = _key(page.entries[-1]) if page.more else None
        assert got_next == expected_next
        assert page.chain_intact
        cursor = None if got_next is None else Position(page.entries[-1].at, page.entries[-1].seq)
        pages += 1
    assert pages == 5  # 160 older entries: four full pages of 37 and the last of 12


def test_the_page_filters_match_the_whole_history(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    _log_reads(deps, p, 120)
    whole = history.access_history(deps, client_id=p.client, by=p.client).entries
    before = T0 - timedelta(days=400) + timedelta(minutes=60)
    cursor = Position(whole[-10].at, whole[-10].seq)
    expected = [e for e in whole if e.effect == "deny" and e.at < before]
    page = history.access_history_page(
        deps, client_id=p.client, by=p.client, limit=500, before=before, effect="deny"
    )
    assert page.entries == tuple(expected)
    assert not page.more
    after = [e for e in whole if _key(e) < (cursor.at, cursor.seq)]
    tail = history.access_history_page(
        deps, client_id=p.client, by=p.client, limit=500, after=cursor
    )
    assert tail.entries == tuple(after)


def _tamper(deps: Deps, client: str, seq: int) -> None:
    with as_owner(deps) as c:
        c.execute(
            update(E).where(E.c.chain_id == client, E.c.seq == seq).values(actor_role="client")
        )


def _page_intact(deps: Deps, p: Practice) -> bool:
    page = history.access_history_page(deps, client_id=p.client, by=p.officer, limit=10)
    return page.chain_intact


@pytest.mark.whole_database
def test_a_tampered_old_entry_is_still_caught_by_the_full_verification(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    _log_reads(deps, p, 30)
    assert _page_intact(deps, p)  # verifies from the genesis and remembers the end
    _tamper(deps, p.client, 3)
    # Decision 0022: a page verifies only what was added since; the rewrite of an entry
    # verified before is the full verification's to find, and it does.
    assert _page_intact(deps, p)
    report = verify_log(deps.engine, SigningKey.generate().public_key)
    assert [(b.chain_id, b.seq, b.kind) for b in report.breaks] == [
        (p.client, 3, BreakKind.CHANGED)
    ]
    full = history.access_history(deps, client_id=p.client, by=p.officer)
    assert not full.chain_intact


def test_a_tampered_new_entry_is_reported_on_every_page(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    _log_reads(deps, p, 10)
    assert _page_intact(deps, p)
    _log_reads(deps, p, 10)
    with deps.engine.connect() as c:
        last = c.execute(
            E.select().where(E.c.chain_id == p.client).order_by(E.c.seq.desc()).limit(1)
        ).one()
    _tamper(deps, p.client, last.seq - 2)  # after the remembered point
    assert not _page_intact(deps, p)
    assert not _page_intact(deps, p)  # the point never moves past a break


def test_a_changed_remembered_entry_is_reported(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    _log_reads(deps, p, 10)
    assert _page_intact(deps, p)
    with deps.engine.connect() as c:
        seq = (
            c.execute(
                t.audit_verified_heads.select().where(t.audit_verified_heads.c.chain_id == p.client)
            )
            .one()
            .seq
        )
    _tamper(deps, p.client, seq)
    assert not _page_intact(deps, p)
