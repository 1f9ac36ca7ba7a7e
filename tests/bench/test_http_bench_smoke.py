"""The HTTP benchmark at CI size on PostgreSQL: it serves, loads, and every protected read it
was answered has its audit entry."""

from __future__ import annotations

import json

import pytest
from bench.http.cli import main
from bench.store.databases import in_ci, postgres_unreachable


@pytest.mark.bench_smoke
def test_the_quick_run_audits_every_read_and_ends_with_one_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if reason := postgres_unreachable():
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)

    code = main(["--quick", "--connections", "4"])

    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert summary["bench"] == "http"
    assert summary["errors"] == 0
    assert summary["protected_per_s"] > 0
    assert summary["plain_per_s"] > 0
    # Nothing is served without its audit entry.
    assert summary["audited_reads"] == summary["served_reads"]
    assert summary["p50_protected_ms"] >= summary["p50_plain_ms"] > 0
