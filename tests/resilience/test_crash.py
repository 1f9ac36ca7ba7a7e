"""Writers killed with SIGKILL at random moments, 200 times per database (``CONFIDE_CRASH_KILLS``
raises it); then nothing acknowledged is lost, nothing is orphaned, every chain and checkpoint
verifies, and the store opens cleanly. ``python -m bench crash`` runs the same harness.

The PostgreSQL database is created for the run and dropped after it. Without a server the
PostgreSQL case skips and says so; under CI (CI=true) it fails instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from confide.audit.signing import SigningKey
from confide.domain import Category
from confide.store import schema as t
from confide.store.engine import make_engine
from tests.resilience.harness import (
    CHECKPOINT_EVERY,
    PostgresUnavailable,
    check,
    postgres_database,
    prepare,
    run_crash,
)

KILLS = int(os.environ.get("CONFIDE_CRASH_KILLS", "200"))
ACKNOWLEDGED_KINDS = {"note", "grant", "revoke", "read", "disclosure"}
DISCLOSURE_STATES = {"draft", "submitted", "approved", "disclosed"}
PLANTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store of the run's own: a SQLite file, or a PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'confide.db'}"
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database())
        except PostgresUnavailable as error:
            if os.environ.get("CI"):
                pytest.fail(str(error))
            pytest.skip(str(error))
        yield url


def test_killed_writers_lose_no_acknowledged_write_and_leave_nothing_half_done(
    crash_url: str, tmp_path: Path
) -> None:
    database = crash_url.split(":", 1)[0].split("+", 1)[0]
    result = run_crash(crash_url, tmp_path, database=database, kills=KILLS)
    print(json.dumps(result.figures()))  # noqa: T201 - the run's figures, shown with -s
    f = result.findings

    assert result.kills == KILLS
    assert all(n > 0 for n in result.kills_by_role.values()), result.kills_by_role
    assert set(result.acknowledged_by_kind) == ACKNOWLEDGED_KINDS, result.acknowledged_by_kind
    assert result.acknowledged_writes > KILLS
    assert set(result.disclosure_steps_by_state) == DISCLOSURE_STATES
    assert result.unexpected_exits == 0, result.writer_errors
    assert f.lost_writes == 0, f.problems
    assert (f.orphan_records, f.orphan_audit_entries) == (0, 0), f.problems
    assert f.unreadable_versions == 0, f.problems
    assert (f.chain_breaks, f.chains_verified) == (0, 4)  # three clients' and the system's
    assert f.checkpoint_problems == 0, f.problems
    assert result.checkpoints_during_run == KILLS // CHECKPOINT_EVERY
    assert f.checkpoints_verified == 2 + result.checkpoints_during_run  # before, during, after
    assert f.sqlite_integrity == ("ok" if database == "sqlite" else "not applicable")
    assert f.migrations_at_head
    assert f.fresh_read_entries >= 3  # at least the note each client began with
    assert result.whole


def test_the_check_counts_a_lost_write_an_orphan_record_and_an_unreadable_version(
    tmp_path: Path,
) -> None:
    # The harness's own check, shown to fail: an acknowledgement with nothing stored behind it,
    # and a record put in behind the services' back, with no audit entry and a bad seal.
    url = f"sqlite:///{tmp_path / 'confide.db'}"
    cast, _ = prepare(url, tmp_path)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(
            insert(t.records).values(
                id="rec-planted",
                client_id=cast.clients[0],
                category=Category.PROGRESS_NOTE.value,
                author_id=cast.clinician,
                created_at=PLANTED_AT,
            )
        )
        c.execute(
            insert(t.record_versions).values(
                record_id="rec-planted",
                version=1,
                ciphertext=b"\x00" * 64,
                author_id=cast.clinician,
                recorded_at=PLANTED_AT,
            )
        )
    engine.dispose()
    missing = {"kind": "note", "record": "rec-never", "client": cast.clients[0], "version": 1}
    findings = check(cast, [{**missing, "text": "Synthetic"}], SigningKey.generate())

    assert findings.lost_writes == 2  # not stored, and not in the fresh read
    assert findings.orphan_records == 1
    assert findings.unreadable_versions == 1
    assert findings.orphan_audit_entries == 0
    assert findings.chain_breaks == 0
