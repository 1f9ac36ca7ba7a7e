"""What an attacker with the database files sees: ciphertext, never a note."""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from confide.domain import Category, Purpose
from confide.services import records
from confide.services.deps import Deps
from confide.store import schema as t
from tests.integration.conftest import Practice

SENTENCES = [
    "Synthetic: the client spoke about a recurring dream of a lighthouse.",
    "Synthetic: medication adjusted after a week of poor sleep.",
    "Synthetic: practised grounding with five things seen, four heard.",
]


def _write_all(deps: Deps, p: Practice) -> None:
    for n, sentence in enumerate(SENTENCES):
        category = (Category.PROGRESS_NOTE, Category.MEDICATION, Category.PSYCHOTHERAPY_NOTE)[n]
        records.write_record(
            deps, actor_id=p.clinician, client_id=p.client, category=category, text=sentence
        )


def _database_bytes(deps: Deps, database_url: str, tmp_path: Path) -> bytes:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        deps.engine.dispose()
        base = Path(str(url.database))
        return b"".join(f.read_bytes() for f in base.parent.glob(base.name + "*"))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        if os.environ.get("CI"):
            pytest.fail("pg_dump is missing: CI must scan a PostgreSQL dump too")
        pytest.skip("pg_dump is not installed")
    dump = tmp_path / "dump.sql"
    subprocess.run(
        [
            pg_dump,
            "-h",
            str(url.host),
            "-p",
            str(url.port or 5432),
            "-U",
            str(url.username),
            "-f",
            str(dump),
            str(url.database),
        ],
        check=True,
        timeout=120,
    )
    return dump.read_bytes()


def test_the_database_files_and_dumps_hold_no_note_in_plaintext(
    deps: Deps, small_practice: Practice, database_url: str, tmp_path: Path
) -> None:
    _write_all(deps, small_practice)
    view = records.read_records(
        deps,
        actor_id=small_practice.clinician,
        client_id=small_practice.client,
        categories=frozenset({Category.PROGRESS_NOTE, Category.MEDICATION}),
        purpose=Purpose.TREAT,
    )
    assert {e.text for e in view.entries} == set(SENTENCES[:2])
    stored = _database_bytes(deps, database_url, tmp_path)
    assert small_practice.client.encode() in stored  # the ids are there: we looked
    for sentence in SENTENCES:
        for fragment in (sentence, sentence[12:40]):
            assert fragment.encode() not in stored, fragment


def test_concurrent_writers_lose_nothing(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    writers, each = 8, 15

    def write(worker: int) -> list[str]:
        return [
            records.write_record(
                deps,
                actor_id=p.clinician,
                client_id=p.client,
                category=Category.PROGRESS_NOTE,
                text=f"note {worker}-{n}",
            )
            for n in range(each)
        ]

    with ThreadPoolExecutor(max_workers=writers) as pool:
        ids = [rid for batch in pool.map(write, range(writers)) for rid in batch]
    assert len(set(ids)) == writers * each
    with deps.engine.connect() as c:
        stored = c.execute(
            select(func.count()).select_from(t.records).where(t.records.c.client_id == p.client)
        ).scalar_one()
        logged = c.execute(
            select(func.count())
            .select_from(t.audit_entries)
            .where(t.audit_entries.c.record_id.in_(ids))
        ).scalar_one()
    assert stored == logged == writers * each
