"""Concurrent appends on PostgreSQL: writers on different chains, one writer, one shared chain.

Appends to one chain are serialised by a transaction-scoped advisory lock keyed by the chain;
appends to different chains take different locks and should not wait on each other. Each
writer is a process of its own with its own engine and connection (as a deployment runs several
workers; threads would share one interpreter lock), and appends one event per transaction as the
use cases do. Three runs of the same total: one writer over W clients'
chains, W writers each on a client chain of its own, and W writers all on one client's chain.
Each writer makes a few untimed appends to a chain of its own first (its connection opened and
warm); the clock runs from when every writer is ready to when the last one is done. After each
run, ``verify_log`` walks every chain of the database and must find no break.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.queues
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from bench.audit.config import Config
from bench.audit.events import EventSource, add_clients, add_practice, client_ids
from bench.audit.timing import collector_paused
from confide.services.audit import verify_log
from confide.store.access_log import AccessEvent, ChainedAuditLog
from confide.store.engine import make_engine

ONE_WRITER = "one_writer"
DISTINCT_CHAINS = "distinct_chains"
SAME_CHAIN = "same_chain"


@dataclass(frozen=True, slots=True)
class ConcurrentRun:
    """One run: how many writers on how many chains, and how long the appends took."""

    name: str
    writers: int
    chains: int
    events: int
    seconds: float
    client_cpu_s: float  # CPU time of the writer processes while they appended
    machine_cores: float | None  # cores busy on the whole machine (the server too), if known
    verified_entries: int  # entries in the whole log, every one verified after the run

    @property
    def per_s(self) -> float:
        """Appends per second, all writers together."""
        return self.events / self.seconds

    @property
    def client_cores(self) -> float:
        """Cores the writer processes kept busy on average."""
        return self.client_cpu_s / self.seconds


@dataclass(frozen=True, slots=True)
class ConcurrencyResult:
    """The three runs and the pool they shared."""

    pool_size: int
    runs: tuple[ConcurrentRun, ...]

    def run(self, name: str) -> ConcurrentRun:
        """The run by name."""
        return next(r for r in self.runs if r.name == name)

    @property
    def speedup(self) -> float:
        """W writers on different chains over one writer, in appends per second."""
        return self.run(DISTINCT_CHAINS).per_s / self.run(ONE_WRITER).per_s

    @property
    def same_chain_ratio(self) -> float:
        """W writers on one chain over one writer, in appends per second."""
        return self.run(SAME_CHAIN).per_s / self.run(ONE_WRITER).per_s


def measure_concurrency(
    engine: Engine, config: Config, log: Callable[[str], None]
) -> ConcurrencyResult:
    """The three runs on a fresh database, each verified afterwards."""
    writers = config.writers
    per_writer = config.concurrent_events // writers
    total = per_writer * writers
    warm_clients = client_ids("warm", writers)
    spread = client_ids("spread", writers)
    own = client_ids("own", writers)
    shared = client_ids("shared", 1)
    add_practice(engine)
    add_clients(engine, warm_clients + spread + own + shared)
    source = EventSource(config.seed)
    warmups = [source.events([c], config.concurrent_warmup) for c in warm_clients]
    plans: list[tuple[str, int, list[list[AccessEvent]]]] = [
        (ONE_WRITER, len(spread), [source.events(spread, total)]),
        (DISTINCT_CHAINS, len(own), [source.events([c], per_writer) for c in own]),
        (SAME_CHAIN, 1, [source.events(shared, per_writer) for _ in range(writers)]),
    ]
    pool_size = 1  # each writer process has its own engine and connection
    url = engine.url.render_as_string(hide_password=False)
    pooled = make_engine(url)
    runs = []
    logged = 0
    try:
        for name, chains, plan in plans:
            log(
                f"concurrency: {name}: {len(plan)} writer(s) on {chains} chain(s), "
                f"{total:,} appends"
            )
            elapsed, cpu, machine = _run_writers(url, warmups[: len(plan)], plan)
            logged += total + len(plan) * config.concurrent_warmup
            report = verify_log(pooled, None)
            assert not report.breaks, f"a chain broke: {report.breaks[0].describe()}"
            assert report.entries == logged, f"verified {report.entries} of {logged} entries"
            log(
                f"concurrency: {name}: {total / elapsed:,.0f} appends/s; "
                f"{report.entries:,} entries in {report.chains} chains verified, no break"
            )
            runs.append(
                ConcurrentRun(name, len(plan), chains, total, elapsed, cpu, machine, report.entries)
            )
    finally:
        pooled.dispose()
    return ConcurrencyResult(pool_size, tuple(runs))


def _run_writers(
    url: str,
    warmups: Sequence[Sequence[AccessEvent]],
    plan: Sequence[Sequence[AccessEvent]],
) -> tuple[float, float, float | None]:
    """One process per writer, as a deployment runs several workers: each opens its own
    engine, warms up, waits for the others, then appends its events one per transaction.
    Returns the seconds from the start signal to the last writer's end, the CPU seconds the
    writers spent meanwhile, and the cores the whole machine kept busy (None if unknown)."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(plan) + 1)
    results = context.Queue()
    writers = [
        context.Process(
            target=_write, args=(url, list(warm), list(events), ready, results), name=f"w{n}"
        )
        for n, (warm, events) in enumerate(zip(warmups, plan, strict=True))
    ]
    with collector_paused():
        for writer in writers:
            writer.start()
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(timeout=300)  # broken only if a writer failed warming up
        start, machine_start = time.perf_counter(), _cpu_jiffies()
        reports = [results.get(timeout=3600) for _ in writers]
        elapsed = time.perf_counter() - start
        machine_end = _cpu_jiffies()
        for writer in writers:
            writer.join()
    failures = [r for r in reports if isinstance(r, str)]
    if failures:
        raise RuntimeError(f"a writer failed: {failures[0]}")
    cpu = sum(r for r in reports if isinstance(r, float))
    machine = None
    if machine_start is not None and machine_end is not None:
        busy = machine_end[0] - machine_start[0]
        total = machine_end[1] - machine_start[1]
        machine = (os.cpu_count() or 1) * busy / total if total else None
    return elapsed, cpu, machine


def _write(
    url: str,
    warmup: list[AccessEvent],
    events: list[AccessEvent],
    ready: threading.Barrier,
    results: multiprocessing.queues.Queue[float | str],
) -> None:
    """One writer process: its own engine; reports its CPU seconds after the start signal,
    or the kind of error that stopped it."""
    engine = make_engine(url)
    audit_log = ChainedAuditLog()
    try:
        for event in warmup:
            with engine.begin() as c:
                audit_log.append(c, event)
        ready.wait(timeout=300)
        cpu_start = time.process_time()
        for event in events:
            with engine.begin() as c:
                audit_log.append(c, event)
        results.put(time.process_time() - cpu_start)
    except Exception as error:  # reported by the parent
        ready.abort()
        results.put(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()


def _cpu_jiffies() -> tuple[int, int] | None:
    """Busy and total CPU time of the whole machine so far (Linux ``/proc/stat``), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return sum(fields[:8]) - idle, sum(fields[:8])
