"""Timing helpers: alternate two sides call by call, the garbage collector paused."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from bench.store.notes import Latencies

GC_BATCH = 100  # calls between untimed collections
T = TypeVar("T")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collect once, then keep the cyclic collector off until the block ends."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def alternate(
    first: Callable[[int], object], second: Callable[[int], object], count: int
) -> tuple[Latencies, Latencies]:
    """Call both ``count`` times, alternating which goes first; time each call on its own."""
    times: tuple[list[int], list[int]] = ([0] * count, [0] * count)
    calls = (first, second)
    clock = time.perf_counter_ns
    with collector_paused():
        for i in range(count):
            if i % GC_BATCH == 0:
                gc.collect(0)  # untimed: this batch's garbage is all in the youngest generation
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                start = clock()
                calls[side](i)
                times[side][i] = clock() - start
    return Latencies(times[0]), Latencies(times[1])


def seconds(call: Callable[[], T]) -> tuple[float, T]:
    """Wall time of one call, the collector paused; and what it returned."""
    with collector_paused():
        start = time.perf_counter()
        result = call()
        return time.perf_counter() - start, result
