"""The scale benchmark at CI size on PostgreSQL: it loads two practices, serves each, answers
every request it times, writes its curve, and ends with one JSON line of its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.scale.cli import main
from bench.store.databases import in_ci, postgres_unreachable


@pytest.mark.bench_smoke
def test_the_quick_run_times_every_request_at_each_size_and_ends_with_one_json_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if reason := postgres_unreachable():
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)

    code = main(["--quick", "--plot", str(tmp_path / "curve.svg")])

    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert summary["bench"] == "scale"
    assert summary["errors"] == 0
    assert [s["notes"] for s in summary["sizes"]] == [1000, 10000]
    for size in summary["sizes"]:
        assert size["rows_per_s"] > 0
        for request in ("note_read", "history_page", "accounting", "caseload", "consent_change"):
            assert 0 < size[f"{request}_p50_ms"] <= size[f"{request}_p99_ms"]
    assert summary["p99_largest_over_p99_10k"] == pytest.approx(1.0)  # 10,000 is the largest
    assert summary["p99_1m_over_p99_10k"] is None
    plot = Path(summary["plot"])
    assert plot.exists()
    if plot.suffix == ".svg":  # one line per request kind
        assert plot.read_text(encoding="utf-8").count("<polyline") == 5
