"""Kill -9 a writer mid-loop, again and again; then the store must be whole.

Every acknowledged write is present and decrypts; no record lacks its access event and no
write event lacks its record; the store opens cleanly. ``CONFIDE_CRASH_KILLS`` sets how many
kills per database (a handful by default; set it higher for a longer run).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, text

from confide.domain import Category, Purpose
from confide.services import records
from confide.services.audit import verify_log
from confide.services.deps import Deps
from confide.store import schema as t
from confide.store.keys_repository import KeysRepository
from confide.vault import KeyRing, Vault, create_key_file, rewrap_data_key
from tests.integration.conftest import Practice

KILLS = int(os.environ.get("CONFIDE_CRASH_KILLS", "6"))
ROOT = Path(__file__).resolve().parents[2]


def _run_and_kill(args: list[str], rng: random.Random) -> list[str]:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_writer", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip()]  # started and wrote once
    time.sleep(rng.uniform(0.05, 0.4))
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    acknowledged += [line.strip() for line in writer.stdout if line.strip()]
    return acknowledged


def test_killed_writers_lose_no_acknowledged_write_and_leave_nothing_half_done(
    deps: Deps, small_practice: Practice, database_url: str, tmp_path: Path
) -> None:
    p = small_practice
    key_file = tmp_path / "confide.key"
    ring: KeyRing = create_key_file(key_file)
    # The client's data key must be wrapped by the file's key for the writer to read it.
    both = KeyRing({**deps.vault.ring.keys, **ring.keys}, ring.active_id)
    with deps.engine.begin() as c:
        keys = KeysRepository(c)
        stored = keys.get(p.client)
        assert stored is not None
        keys.replace(stored, rewrap_data_key(both, stored))
    rng = random.Random(20261125)
    acknowledged: list[str] = []
    for _ in range(KILLS):
        acknowledged += _run_and_kill([database_url, str(key_file), p.client, p.clinician], rng)

    reopened = Deps(deps.engine, Vault(ring), deps.clock)
    view = records.read_records(
        reopened,
        actor_id=p.clinician,
        client_id=p.client,
        categories=frozenset({Category.PROGRESS_NOTE}),
        purpose=Purpose.TREAT,
    )
    readable = {e.record_id for e in view.entries}
    assert set(acknowledged) <= readable, "an acknowledged write was lost"
    with deps.engine.connect() as c:
        if database_url.startswith("sqlite"):
            assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        stored_ids = set(
            c.execute(select(t.records.c.id).where(t.records.c.client_id == p.client)).scalars()
        )
        logged_ids = set(
            c.execute(
                select(t.audit_entries.c.record_id).where(
                    t.audit_entries.c.client_id == p.client,
                    t.audit_entries.c.action == "write",
                    t.audit_entries.c.effect == "permit",
                )
            ).scalars()
        )
    assert stored_ids == logged_ids, "a record without its access event, or the reverse"
    report = verify_log(deps.engine, None)  # no checkpoint here: the chains themselves
    assert report.breaks == [], "a kill left a gap or a broken link in a chain"
    assert report.entries > len(acknowledged)
    assert len(acknowledged) >= KILLS
