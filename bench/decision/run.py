"""Run every engine on every scenario, timing each decision and checking every answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.decision.agreement import Disagreement, disagreements
from bench.decision.config import Config
from bench.decision.engines import CONFIDE, Engine, build_peer, confide_engine, peer_engine
from bench.decision.timing import GC_BATCH, time_decisions
from bench.decision.workload import Scenario, build_scenarios
from confide.domain import Decision

CONFIDE_NOTE = (
    "Peers answer permit/deny per category only; confide's decide also words a reason for "
    "every category and attaches obligations (redaction, notices, review deadlines)."
)
METHOD_NOTE = (
    "Each request is translated to each engine's own form before timing; perf_counter_ns "
    "around each decision after {warmup} different warm-up requests; the garbage collector is "
    "paused while timing and run (untimed) every {batch} decisions; decisions/s = requests / "
    "total time deciding."
)


@dataclass(frozen=True, slots=True)
class Row:
    """One engine on one scenario: speed, and how many requests it agreed with confide on."""

    scenario: str
    title: str
    engine: str
    per_second: float
    p50_us: float
    p99_us: float
    agreed: int
    total: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every row, every disagreement, and the notes to print under the table."""

    config: Config
    rows: list[Row]
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, scenario: str, engine: str) -> Row | None:
        """The row of one engine on one scenario, if it ran."""
        return next((r for r in self.rows if (r.scenario, r.engine) == (scenario, engine)), None)


def run_benchmark(config: Config, log: Callable[[str], None] = lambda _: None) -> Outcome:
    """Time confide and each peer on each scenario, and check every peer's every answer."""
    started = time.perf_counter()
    rows: list[Row] = []
    found: list[Disagreement] = []
    notes = [CONFIDE_NOTE, METHOD_NOTE.format(warmup=config.warmup, batch=GC_BATCH)]
    for scenario in build_scenarios(config):
        engines = [confide_engine(scenario.facts)]
        for name in config.peers:
            log(f"building {name} for {scenario.name} ({len(scenario.data.clients)} clients)")
            peer = build_peer(name, scenario.data)
            engines.append(peer_engine(peer))
            notes += [n for n in peer.notes if n not in notes]
        scenario_rows, scenario_found = _run_scenario(scenario, engines, log)
        rows += scenario_rows
        found += scenario_found
    log(f"done in {time.perf_counter() - started:.0f} s")
    return Outcome(config, rows, found, notes)


def _run_scenario(
    scenario: Scenario, engines: list[Engine], log: Callable[[str], None]
) -> tuple[list[Row], list[Disagreement]]:
    rows: list[Row] = []
    found: list[Disagreement] = []
    decisions: list[Decision] = []
    total = len(scenario.requests)
    for engine in engines:  # confide first: its decisions are what the peers must match
        log(f"timing {engine.name} on {scenario.name} ({total} requests)")
        # Each engine gets the request in its own form, built before the clock starts.
        inputs = [engine.translate(r) for r in scenario.requests]
        warmup = [engine.translate(r) for r in scenario.warmup]
        timing = time_decisions(engine.decide, inputs, warmup)
        del inputs, warmup
        disagreed: list[Disagreement] = []
        if engine.name == CONFIDE:
            decisions = timing.results
        else:
            permitted = [engine.permitted(result) for result in timing.results]
            disagreed = disagreements(
                scenario.name, engine.name, scenario.requests, decisions, permitted
            )
        found += disagreed
        rows.append(
            Row(
                scenario.name,
                scenario.title,
                engine.name,
                timing.per_second,
                timing.p50_us,
                timing.p99_us,
                total - len(disagreed),
                total,
            )
        )
    return rows, found
