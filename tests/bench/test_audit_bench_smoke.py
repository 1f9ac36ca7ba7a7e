"""The audit-log benchmark at CI size, on SQLite and PostgreSQL: it runs, its figures are sane,
and the chains it builds in bulk are the chains the log appends."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from bench.audit.cli import main
from bench.audit.config import DATABASES, QUICK
from bench.audit.events import ChainBuilder, EventSource, add_clients, add_practice, client_ids
from bench.store.databases import ADMIN_URL_VARIABLE, in_ci, postgres_unreachable, sqlite_database
from sqlalchemy import select

from confide.services.audit import verify_log
from confide.store import schema as t
from confide.store.access_log import ChainedAuditLog


def _last_json_line(out: str) -> dict[str, Any]:
    summary = json.loads(out.strip().splitlines()[-1])
    assert isinstance(summary, dict)
    return summary


@pytest.mark.bench_smoke
@pytest.mark.parametrize("database", DATABASES)
def test_the_quick_run_ends_with_one_json_line_of_sane_figures(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if database == "postgresql" and (reason := postgres_unreachable()):
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)

    code = main(["--quick", "--databases", database])

    out = capsys.readouterr().out
    summary = _last_json_line(out)
    assert code == 0
    assert summary["bench"] == "audit"
    assert summary["databases"] == [database]
    assert summary["skipped"] == []
    assert summary["quick"] is True
    assert (summary["events"], summary["verify_entries"], summary["large_entries"]) == (
        QUICK.events,
        QUICK.verify_entries,
        QUICK.large_entries,
    )
    for mode in ("single", "batch"):
        prefix = f"{database}_append_{mode}"
        for side in ("chained", "plain"):
            assert summary[f"{prefix}_{side}_per_s"] > 0
            assert 0 < summary[f"{prefix}_{side}_p50_us"] <= summary[f"{prefix}_{side}_p99_us"]
        ratio = summary[f"{prefix}_time_ratio"]
        assert 0.2 < ratio < 20, f"{mode} ratio {ratio} is not a plausible measurement"
    # Warm-up, single and batched appends on both sides, every row alike.
    assert summary[f"{database}_append_rows_compared"] == QUICK.warmup + 2 * QUICK.events
    assert summary[f"{database}_verify_intact"] is True
    assert summary[f"{database}_large_intact"] is True
    for key in ("verify_entries_per_s", "raw_hash_entries_per_s", "large_entries_per_s"):
        assert summary[f"{database}_{key}"] > 0
    assert (
        summary[f"{database}_raw_hash_entries_per_s"] > summary[f"{database}_verify_entries_per_s"]
    )
    assert 0 < summary[f"{database}_verify_percent_of_raw"] <= 100
    assert isinstance(summary[f"{database}_verify_target_met"], bool)
    # Cuts are timed; steps are differences of noisy cuts, so only their presence is checked.
    for cut in ("driver_fetch", "read", "pipeline_hashed"):
        assert summary[f"{database}_verify_{cut}_s"] > 0
    for step in ("encode", "hash", "rest"):
        assert isinstance(summary[f"{database}_verify_{step}_s"], float)
    # A verifier that reads every row cannot beat the bare fetch of those rows.
    assert (
        summary[f"{database}_verify_percent_of_raw"]
        < summary[f"{database}_driver_fetch_percent_of_raw"]
    )
    assert ("PASS" in out) or ("MISS" in out)
    if database == "postgresql":
        assert summary["postgresql_concurrent_intact"] is True
        assert summary["postgresql_concurrent_writers"] == QUICK.writers
        for run in ("one_writer", "distinct_chains", "same_chain"):
            assert summary[f"postgresql_concurrent_{run}_per_s"] > 0
        assert summary["postgresql_concurrent_speedup"] > 0
    else:
        assert not any(key.startswith("postgresql_") for key in summary)


@pytest.mark.bench_smoke
def test_an_unreachable_postgresql_is_skipped_with_a_message_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ADMIN_URL_VARIABLE, "postgresql+psycopg://postgres@127.0.0.1:9/postgres")
    monkeypatch.delenv("CI", raising=False)

    assert main(["--quick", "--databases", "postgresql"]) == 0
    out = capsys.readouterr().out
    assert "skipped postgresql: PostgreSQL is not reachable" in out
    summary = _last_json_line(out)
    assert summary["skipped"] == ["postgresql"]
    assert summary["databases"] == []

    monkeypatch.setenv("CI", "true")
    assert main(["--quick", "--databases", "postgresql"]) == 1
    assert "PostgreSQL is not reachable" in capsys.readouterr().err


def test_chains_built_in_bulk_are_the_chains_the_log_appends() -> None:
    clients = client_ids("client", 3)
    events = EventSource(seed=5).events(clients, 30)
    builder = ChainBuilder()
    expected = [builder.row(e) for e in events]
    with sqlite_database() as engine:
        add_practice(engine)
        add_clients(engine, clients)
        audit_log = ChainedAuditLog()
        for event in events:
            with engine.begin() as c:
                audit_log.append(c, event)
        with engine.connect() as c:
            stored = {
                (r.chain_id, r.seq): dict(r._mapping) for r in c.execute(select(t.audit_entries))
            }
        report = verify_log(engine, None)

    assert not report.breaks
    assert report.entries == len(events)
    assert builder.chains == len(clients)
    assert {(row["chain_id"], row["seq"]): row for row in expected} == stored


def test_the_same_seed_gives_the_same_events() -> None:
    clients = client_ids("client", 4)

    first = EventSource(seed=3).events(clients, 50)

    assert first == EventSource(seed=3).events(clients, 50)
    assert first != EventSource(seed=4).events(clients, 50)
    assert len({e.request_id for e in first}) == 50
    assert all(a.at < b.at for a, b in itertools.pairwise(first))
