"""The results as a table, the targets as pass or miss, and the summary as one JSON line."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.decision.engines import CONFIDE
from bench.decision.run import Outcome, Row
from bench.decision.workload import HEAVY, PRACTICE

TARGET_RATIO = 20.0  # confide's throughput over the fastest peer's, practice scenario
TARGET_HEAVY_P99_US = 10.0  # confide's p99 latency for the heavy client
SHOWN_DISAGREEMENTS = 5


def print_report(outcome: Outcome, console: Console) -> dict[str, Any]:
    """Print the table, the targets, the notes and any disagreements; return the summary."""
    summary = summarise(outcome)
    console.print(results_table(outcome))
    for line in target_lines(summary):
        console.print(line, highlight=False)
    for note in outcome.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if outcome.disagreements:
        console.print(
            f"[bold red]{len(outcome.disagreements)} disagreement(s) with confide[/]; first "
            f"{min(SHOWN_DISAGREEMENTS, len(outcome.disagreements))}:"
        )
        for d in outcome.disagreements[:SHOWN_DISAGREEMENTS]:
            console.print(d.describe(), highlight=False, markup=False, soft_wrap=True)
    return summary


def results_table(outcome: Outcome) -> Table:
    """One row per scenario and engine."""
    table = Table(title="Access decisions: confide and its peers (same requests, same rules)")
    for heading in ("scenario", "engine", "decisions/s", "p50 µs", "p99 µs", "agree"):
        table.add_column(heading, justify="left" if heading in ("scenario", "engine") else "right")
    table.add_column("confide ÷ engine", justify="right")
    for row in outcome.rows:
        confide = outcome.row(row.scenario, CONFIDE)
        ratio = confide.per_second / row.per_second if confide else math.nan
        table.add_row(
            f"{row.scenario} ({row.title})",
            row.engine,
            f"{row.per_second:,.0f}",
            f"{row.p50_us:,.1f}",
            f"{row.p99_us:,.1f}",
            f"{100 * row.agreed / row.total:.2f}%",
            f"{ratio:,.1f}×",
        )
    return table


def target_lines(summary: dict[str, Any]) -> list[str]:
    """The two targets, each with the measured figure and pass or miss."""
    lines = []
    ratio = summary.get("ratio_vs_fastest_peer")
    if ratio is not None:
        lines.append(
            f"target: confide ≥ {TARGET_RATIO:.0f}× the fastest peer's throughput "
            f"({summary['fastest_peer']}): {ratio:.1f}× — "
            f"{'pass' if summary['target_ratio_met'] else 'MISS'}"
        )
    p99 = summary.get("confide_heavy_p99_us")
    if p99 is not None:
        lines.append(
            f"target: confide p99 ≤ {TARGET_HEAVY_P99_US:.0f} µs for the heavy client: "
            f"{p99:.2f} µs — {'pass' if summary['target_heavy_p99_met'] else 'MISS'}"
        )
    return lines


def summarise(outcome: Outcome) -> dict[str, Any]:
    """The figures as one flat JSON object (the benchmark's last line of output)."""
    c = outcome.config
    out: dict[str, Any] = {
        "bench": "decision",
        "clients": c.clients,
        "consents_per_client": c.consents_per_client,
        "heavy_consents": c.heavy_consents,
        "requests_per_scenario": c.requests,
        "quick": c.quick,
    }
    engines = [CONFIDE, *c.peers]
    for engine in engines:
        for scenario, suffix in ((PRACTICE, ""), (HEAVY, "_heavy")):
            row = outcome.row(scenario, engine)
            if row is not None:
                out |= _figures(f"{engine}{suffix}", row)
    for engine in c.peers:
        out[f"{engine}_mismatches"] = sum(1 for d in outcome.disagreements if d.engine == engine)
    out["mismatches"] = len(outcome.disagreements)
    out |= _versus_fastest(outcome, PRACTICE, "")
    out |= _versus_fastest(outcome, HEAVY, "_heavy")
    if "ratio_vs_fastest_peer" in out:
        out["target_ratio"] = TARGET_RATIO
        out["target_ratio_met"] = out["ratio_vs_fastest_peer"] >= TARGET_RATIO
    if "confide_heavy_p99_us" in out:
        out["target_heavy_p99_us"] = TARGET_HEAVY_P99_US
        out["target_heavy_p99_met"] = out["confide_heavy_p99_us"] <= TARGET_HEAVY_P99_US
    return out


def _figures(prefix: str, row: Row) -> dict[str, Any]:
    return {
        f"{prefix}_p50_us": round(row.p50_us, 3),
        f"{prefix}_p99_us": round(row.p99_us, 3),
        f"{prefix}_decisions_per_s": round(row.per_second),
    }


def _versus_fastest(outcome: Outcome, scenario: str, suffix: str) -> dict[str, Any]:
    confide = outcome.row(scenario, CONFIDE)
    peers = [r for r in outcome.rows if r.scenario == scenario and r.engine != CONFIDE]
    if confide is None or not peers:
        return {}
    fastest = max(peers, key=lambda r: r.per_second)
    return {
        f"fastest{suffix}_peer": fastest.engine,
        f"fastest{suffix}_peer_p50_us": round(fastest.p50_us, 3),
        f"fastest{suffix}_peer_p99_us": round(fastest.p99_us, 3),
        f"fastest{suffix}_peer_decisions_per_s": round(fastest.per_second),
        f"ratio_vs_fastest_peer{suffix}": round(confide.per_second / fastest.per_second, 2),
    }


def json_line(summary: dict[str, Any]) -> str:
    """The summary as a single line of JSON."""
    return json.dumps(summary, separators=(", ", ": "), allow_nan=False)
