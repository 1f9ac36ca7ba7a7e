"""Per-decision latency with ``perf_counter_ns``: warm up, then time with the collector paused.

The cyclic garbage collector is off while decisions are timed, so a collection is not charged
to whichever decision happened to trigger it; it runs, untimed, between batches of decisions.
pycasbin builds a fresh evaluator (a reference cycle) on every call, so without those pauses
its garbage would grow by gigabytes over a run and slow everything that follows.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

GC_BATCH = 100  # decisions between untimed collections


@dataclass(frozen=True, slots=True)
class Timing:
    """Each decision's latency in nanoseconds (in request order) and its result."""

    latencies_ns: list[int]
    results: list[Any]

    @property
    def p50_us(self) -> float:
        """The median latency, in microseconds."""
        return percentile(self.latencies_ns, 0.50) / 1000

    @property
    def p99_us(self) -> float:
        """The 99th-percentile latency, in microseconds."""
        return percentile(self.latencies_ns, 0.99) / 1000

    @property
    def per_second(self) -> float:
        """Decisions per second: decisions over the time spent deciding."""
        total = sum(self.latencies_ns)
        return len(self.latencies_ns) * 1e9 / total if total else math.inf


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``q`` of values at or below."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q * len(ordered)) - 1)])


def time_decisions(
    decide: Callable[[Any], Any], inputs: Sequence[Any], warmup: Sequence[Any]
) -> Timing:
    """Decide ``warmup`` untimed, then time each of ``inputs`` on its own."""
    for item in warmup:
        decide(item)
    latencies = [0] * len(inputs)
    results: list[Any] = [None] * len(inputs)
    clock = time.perf_counter_ns
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i, item in enumerate(inputs):
            if i % GC_BATCH == 0:
                gc.collect(0)  # untimed: this batch's garbage is all in the youngest generation
            start = clock()
            result = decide(item)
            latencies[i] = clock() - start
            results[i] = result
    finally:
        if was_enabled:
            gc.enable()
    return Timing(latencies, results)
