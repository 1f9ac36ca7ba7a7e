"""The results as tables, the verification target as pass or miss, and one JSON line."""

from __future__ import annotations

import json
import os
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.audit.append import BATCH, SINGLE, AppendMode
from bench.audit.concurrent import DISTINCT_CHAINS, ONE_WRITER, SAME_CHAIN, ConcurrencyResult
from bench.audit.run import DatabaseResult, Outcome
from bench.audit.verify import CHUNK, TARGET_PERCENT

APPEND_NOTE = (
    "Appends: ChainedAuditLog.append on the caller's connection (role and client lookup, the "
    "chain's advisory lock on PostgreSQL, the head read, SHA-256, the insert) against inserts "
    "of the same field values, computed beforehand, into a table with the same columns and "
    "secondary indexes but no hashes and no key on (chain, seq). Transactions alternate between "
    "the sides (the first swaps every transaction) after {warmup} warm-up transactions each; "
    "the collector paused while timing. Both tables are checked to hold the same rows, and "
    "every chain to verify. Ratios are total time chained ÷ plain."
)
VERIFY_NOTE = (
    "Verification: the log is built in memory chain by chain (as append builds it) and "
    "bulk-inserted in time order, then a signed checkpoint commits to every head; verify_log "
    "with the public key is timed against a bare sha256(b).digest() loop over every entry's "
    "AuditEntry.encode() bytes (gathered beforehand), in {repeats} rounds; medians. In the same "
    "rounds verification's own query and stream ({chunk} rows per fetch) is timed cut short "
    "after each step: read the rows; also encode them; also hash them. A step's cost is the "
    "difference from the cut before; the chain walk's is verify_log's less the last cut's. The "
    "bare fetch is the same query on the DB-API cursor, rows fetched and dropped: no verifier "
    "that reads every row into Python can beat it."
)
CONCURRENCY_NOTE = (
    "Concurrency (PostgreSQL): each writer is a process with its own engine and connection "
    "(pool of {pool}), one event per transaction, {total:,} appends per run; each writer first "
    "makes {warm} untimed appends to a chain of its own. Client cores: the writers' CPU time "
    "after the start signal over the run's wall time; machine cores: every process's, the "
    "database server's included (/proc/stat). "
    "After each run verify_log walks every chain (verified entries: the whole log so far) and "
    "finds no break."
)


def print_report(outcome: Outcome, console: Console) -> dict[str, Any]:
    """Print the tables, the target and the notes; return the summary."""
    summary = summarise(outcome)
    c = outcome.config
    if outcome.results:
        console.print(appends_table(outcome))
        console.print(verification_table(outcome))
        console.print(breakdown_table(outcome))
        console.print(large_table(outcome))
    if outcome.concurrency is not None:
        console.print(concurrency_table(outcome.concurrency))
    for line in target_lines(outcome):
        console.print(line, highlight=False)
    notes = [
        APPEND_NOTE.format(warmup=c.warmup),
        VERIFY_NOTE.format(repeats=c.verify_repeats, chunk=CHUNK),
    ]
    if outcome.concurrency is not None:
        per_writer = c.concurrent_events // c.writers
        notes.append(
            CONCURRENCY_NOTE.format(
                pool=outcome.concurrency.pool_size,
                total=per_writer * c.writers,
                warm=c.concurrent_warmup,
            )
        )
    for note in notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    for name, reason in outcome.skipped.items():
        console.print(f"[bold yellow]skipped {name}[/]: {reason}", highlight=False, soft_wrap=True)
    return summary


def appends_table(outcome: Outcome) -> Table:
    """Chained and plain appends per database, one per transaction and batched."""
    c = outcome.config
    table = Table(
        title=(
            f"Appends: hash-chained vs plain inserts of the same rows ({c.events:,} events "
            f"per side and mode, over {c.append_clients} clients)"
        )
    )
    headings = (
        "database",
        "events / txn",
        "chained appends/s",
        "plain inserts/s",
        "chained txn p50 / p99 µs",
        "plain txn p50 / p99 µs",
        "chained ÷ plain (time)",
    )
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "database" else "right")
    for result in outcome.results:
        for mode in result.appends.modes:
            table.add_row(
                result.database,
                f"{mode.per_transaction}",
                f"{mode.chained_per_s:,.0f}",
                f"{mode.plain_per_s:,.0f}",
                _p50_p99(mode, chained=True),
                _p50_p99(mode, chained=False),
                f"{mode.time_ratio:.2f}×",
            )
    return table


def _p50_p99(mode: AppendMode, *, chained: bool) -> str:
    figures = mode.chained if chained else mode.plain
    return f"{figures.p50_us:,.0f} / {figures.p99_us:,.0f}"


def verification_table(outcome: Outcome) -> Table:
    """verify_log against the bare hashing loop over the same bytes."""
    c = outcome.config
    table = Table(
        title=(
            f"Verification of {c.verify_entries:,} entries over {c.verify_chains:,} chains "
            f"against the raw SHA-256 limit (median of {c.verify_repeats})"
        )
    )
    headings = (
        "database",
        "verify_log s",
        "verified entries/s",
        "raw sha256 entries/s",
        "% of raw",
        f"target ≥ {TARGET_PERCENT:.0f}%",
        "bare fetch, % of raw",
    )
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "database" else "right")
    for result in outcome.results:
        v = result.verification
        table.add_row(
            result.database,
            f"{v.verify_median_s:.3f}",
            f"{v.verify_per_s:,.0f}",
            f"{v.raw_per_s:,.0f}",
            f"{v.percent_of_raw:.1f}%",
            "PASS" if v.target_met else "MISS",
            f"{v.driver_percent_of_raw:.1f}%",
        )
    return table


def breakdown_table(outcome: Outcome) -> Table:
    """What each step of verification adds, from its pipeline cut short after each step."""
    c = outcome.config
    table = Table(title=f"Where verification's time goes ({c.verify_entries:,} entries, medians)")
    for heading in ("database", "step", "cut here, s", "step adds, s", "µs per entry"):
        table.add_column(heading, justify="left" if heading in ("database", "step") else "right")
    table.add_column("share of verify_log", justify="right")
    for result in outcome.results:
        v = result.verification
        b = v.breakdown
        for step, cumulative, added in (
            ("bound: bare DB-API fetch, rows dropped", b.driver_s, b.driver_s),
            ("read the rows (SQLAlchemy, types)", b.read_s, b.read_s),
            ("+ encode_fields", b.encoded_s, b.encode_s),
            ("+ sha256", b.hashed_s, b.hash_s),
            ("+ chain walk, checks: verify_log", v.verify_median_s, v.rest_s),
        ):
            table.add_row(
                result.database,
                step,
                f"{cumulative:.3f}",
                f"{added:.3f}",
                f"{added / v.entries * 1e6:.2f}",
                f"{100 * added / v.verify_median_s:.0f}%",
            )
    return table


def large_table(outcome: Outcome) -> Table:
    """One verification of the large log per database."""
    table = Table(title="Verification of a large log (built in bulk, one verify_log)")
    for heading in (
        "database",
        "entries",
        "chains",
        "built in s",
        "verify_log s",
        "entries/s",
        "intact",
    ):
        table.add_column(heading, justify="left" if heading == "database" else "right")
    for result in outcome.results:
        large = result.large
        table.add_row(
            result.database,
            f"{large.entries:,}",
            f"{large.chains:,}",
            f"{large.build_s:.1f}",
            f"{large.verify_s:.1f}",
            f"{large.verify_per_s:,.0f}",
            "yes" if large.intact else "NO",
        )
    return table


_RUN_TITLES = {
    ONE_WRITER: "1 writer, {chains} chains",
    DISTINCT_CHAINS: "{writers} writers, a chain each",
    SAME_CHAIN: "{writers} writers, one chain",
}


def concurrency_table(concurrency: ConcurrencyResult) -> Table:
    """Appends per second by writers and chains, against one writer."""
    table = Table(
        title=(
            "Concurrent appends on PostgreSQL (a process per writer, one event per "
            f"transaction; {os.cpu_count()} cores)"
        )
    )
    for heading in (
        "run",
        "appends",
        "s",
        "appends/s",
        "÷ 1 writer",
        "client cores",
        "machine cores",
        "verified entries",
    ):
        table.add_column(heading, justify="left" if heading == "run" else "right")
    base = concurrency.run(ONE_WRITER).per_s
    for run in concurrency.runs:
        table.add_row(
            _RUN_TITLES[run.name].format(chains=run.chains, writers=run.writers),
            f"{run.events:,}",
            f"{run.seconds:.2f}",
            f"{run.per_s:,.0f}",
            f"{run.per_s / base:.2f}×",
            f"{run.client_cores:.2f}",
            "?" if run.machine_cores is None else f"{run.machine_cores:.2f}",
            f"{run.verified_entries:,}",
        )
    return table


def target_lines(outcome: Outcome) -> list[str]:
    """Per database: the verification target with pass or miss; the concurrency speed-up."""
    lines = []
    for result in outcome.results:
        v = result.verification
        lines.append(
            f"target: {result.database} verification ≥ {TARGET_PERCENT:.0f}% of the raw SHA-256 "
            f"limit: {v.percent_of_raw:.1f}% — {'PASS' if v.target_met else 'MISS'} "
            f"(the bare fetch of the same rows alone reaches {v.driver_percent_of_raw:.1f}%)"
        )
    if outcome.concurrency is not None:
        cc = outcome.concurrency
        writers = cc.run(DISTINCT_CHAINS).writers
        lines.append(
            f"concurrency on postgresql: {writers} writers on different chains ÷ 1 writer "
            f"{cc.speedup:.2f}×; on one shared chain {cc.same_chain_ratio:.2f}×"
        )
    return lines


def summarise(outcome: Outcome) -> dict[str, Any]:
    """The figures as one flat JSON object (the benchmark's last line of output)."""
    c = outcome.config
    out: dict[str, Any] = {
        "bench": "audit",
        "databases": [r.database for r in outcome.results],
        "skipped": sorted(outcome.skipped),
        "quick": c.quick,
        "seed": c.seed,
        "events": c.events,
        "append_clients": c.append_clients,
        "batch": c.batch,
        "verify_entries": c.verify_entries,
        "verify_chains": c.verify_chains,
        "verify_repeats": c.verify_repeats,
        "large_entries": c.large_entries,
        "large_chains": c.large_chains,
        "target_verify_percent": TARGET_PERCENT,
    }
    for result in outcome.results:
        out |= _database_figures(result)
    if outcome.concurrency is not None:
        out |= _concurrency_figures(outcome.concurrency)
    out["seconds"] = round(outcome.seconds, 1)
    return out


def _database_figures(result: DatabaseResult) -> dict[str, Any]:
    db = result.database
    out: dict[str, Any] = {}
    for name in (SINGLE, BATCH):
        mode = result.appends.mode(name)
        prefix = f"{db}_append_{name}"
        out |= {
            f"{prefix}_chained_per_s": round(mode.chained_per_s, 1),
            f"{prefix}_plain_per_s": round(mode.plain_per_s, 1),
            f"{prefix}_chained_p50_us": round(mode.chained.p50_us, 1),
            f"{prefix}_chained_p99_us": round(mode.chained.p99_us, 1),
            f"{prefix}_plain_p50_us": round(mode.plain.p50_us, 1),
            f"{prefix}_plain_p99_us": round(mode.plain.p99_us, 1),
            f"{prefix}_time_ratio": round(mode.time_ratio, 3),
        }
    out[f"{db}_append_rows_compared"] = result.appends.rows_compared
    v = result.verification
    b = v.breakdown
    out |= {
        f"{db}_verify_s": round(v.verify_median_s, 4),
        f"{db}_verify_entries_per_s": round(v.verify_per_s),
        f"{db}_raw_hash_s": round(v.raw_median_s, 5),
        f"{db}_raw_hash_entries_per_s": round(v.raw_per_s),
        f"{db}_verify_percent_of_raw": round(v.percent_of_raw, 2),
        f"{db}_verify_target_met": v.target_met,
        f"{db}_verify_intact": v.intact,
        f"{db}_entry_bytes": round(v.entry_bytes, 1),
        f"{db}_verify_read_s": round(b.read_s, 4),
        f"{db}_verify_pipeline_hashed_s": round(b.hashed_s, 4),
        f"{db}_verify_driver_fetch_s": round(b.driver_s, 4),
        f"{db}_driver_fetch_percent_of_raw": round(v.driver_percent_of_raw, 2),
        f"{db}_verify_encode_s": round(b.encode_s, 4),
        f"{db}_verify_hash_s": round(b.hash_s, 4),
        f"{db}_verify_rest_s": round(v.rest_s, 4),
    }
    large = result.large
    out |= {
        f"{db}_large_build_s": round(large.build_s, 2),
        f"{db}_large_verify_s": round(large.verify_s, 3),
        f"{db}_large_entries_per_s": round(large.verify_per_s),
        f"{db}_large_intact": large.intact,
    }
    return out


def _concurrency_figures(concurrency: ConcurrencyResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "postgresql_concurrent_writers": concurrency.run(DISTINCT_CHAINS).writers,
        "postgresql_concurrent_events": concurrency.run(ONE_WRITER).events,
        "postgresql_concurrent_pool_size": concurrency.pool_size,
    }
    for run in concurrency.runs:
        out[f"postgresql_concurrent_{run.name}_per_s"] = round(run.per_s, 1)
        out[f"postgresql_concurrent_{run.name}_client_cores"] = round(run.client_cores, 2)
        if run.machine_cores is not None:
            out[f"postgresql_concurrent_{run.name}_machine_cores"] = round(run.machine_cores, 2)
    out["postgresql_concurrent_speedup"] = round(concurrency.speedup, 3)
    out["postgresql_concurrent_same_chain_ratio"] = round(concurrency.same_chain_ratio, 3)
    out["postgresql_concurrent_intact"] = True  # every run verified, or the run failed
    return out


def json_line(summary: dict[str, Any]) -> str:
    """The summary as a single line of JSON."""
    return json.dumps(summary, separators=(", ", ": "), allow_nan=False)
