"""The results as tables, the read target as pass or miss, and the summary as one JSON line."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.store.notes import Latencies
from bench.store.rotation import MORE_CLIENTS, NO_NOTES, WITH_NOTES
from bench.store.run import DatabaseResult, Outcome

TARGET_READ_RATIO = 1.2  # sealed reads' mean time over unsealed reads'

METHOD_NOTE = (
    "Notes: {bytes} B synthetic notes through write_record and read_records; the baseline is "
    "the same path with a vault whose seal/open return the bytes unchanged. Calls alternate "
    "between the two (the first swaps every call) after {warmup} warm-up calls each; "
    "perf_counter_ns around each call, the garbage collector paused while timing. "
    "A read returns one client's {per_read} notes; ratios are mean time sealed ÷ unsealed."
)
ROTATION_NOTE = (
    "Rotation: rotate_keys on a key file, one database per scenario; one untimed rotation of "
    "each, then {repeats} rounds rotating each once (the order shifts every round); median. "
    "Notes are bulk-inserted rows with placeholder ciphertext (rotation never reads a note). "
    "Untimed before each rotation: ANALYZE (PostgreSQL: VACUUM ANALYZE) of client_keys."
)
CROWDED_NOTE = (
    "Crowded store: one more client with {per_read} sealed notes in the database of scenario "
    "(b), read {reads} times after a warm-up read; compared with the sealed reads above."
)


def print_report(outcome: Outcome, console: Console) -> dict[str, Any]:
    """Print the tables, the targets and the notes; return the summary."""
    summary = summarise(outcome)
    if outcome.results:
        console.print(notes_table(outcome))
        console.print(rotation_table(outcome))
        console.print(crowded_table(outcome))
    for line in target_lines(outcome):
        console.print(line, highlight=False)
    c = outcome.config
    crypto = outcome.crypto
    console.print(
        f"note: the cipher alone on one {c.note_bytes} B note (AES-256-GCM, data key cached): "
        f"seal {crypto.seal_us:.1f} µs, open {crypto.open_us:.1f} µs.",
        highlight=False,
        soft_wrap=True,
    )
    for note in (
        METHOD_NOTE.format(bytes=c.note_bytes, warmup=c.warmup, per_read=c.notes_per_read),
        ROTATION_NOTE.format(repeats=c.repeats),
        CROWDED_NOTE.format(per_read=c.notes_per_read, reads=c.crowded_reads),
    ):
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    for name, reason in outcome.skipped.items():
        console.print(f"[bold yellow]skipped {name}[/]: {reason}", highlight=False, soft_wrap=True)
    return summary


def notes_table(outcome: Outcome) -> Table:
    """Writes and reads per database, sealed and unsealed, with the ratio."""
    c = outcome.config
    table = Table(
        title=(
            f"Notes: sealed vs unsealed on the same path ({c.note_bytes} B notes, "
            f"{c.writes} writes and {c.reads} reads of {c.notes_per_read} notes, per vault)"
        )
    )
    for heading in ("database", "operation", "vault", "calls/s", "notes/s", "p50 µs", "p99 µs"):
        table.add_column(
            heading, justify="left" if heading in ("database", "operation", "vault") else "right"
        )
    table.add_column("sealed ÷ unsealed", justify="right")
    for result in outcome.results:
        n = result.notes
        for operation, sealed, plain, per_call, ratio in (
            ("write", n.write_encrypted, n.write_plaintext, 1, n.write_ratio),
            ("read", n.read_encrypted, n.read_plaintext, n.notes_per_read, n.read_ratio),
        ):
            for vault, figures in (("sealed", sealed), ("unsealed", plain)):
                table.add_row(
                    result.database,
                    operation,
                    vault,
                    f"{figures.per_second:,.0f}",
                    f"{figures.per_second * per_call:,.0f}",
                    f"{figures.p50_us:,.0f}",
                    f"{figures.p99_us:,.0f}",
                    f"{ratio:.3f}×" if vault == "sealed" else "",
                )
    return table


def rotation_table(outcome: Outcome) -> Table:
    """Each rotation scenario per database, against N clients without notes."""
    table = Table(title="Key rotation: time by clients and by notes (median)")
    for heading in ("database", "scenario", "clients", "notes", "rotation s", "clients/s"):
        table.add_column(
            heading, justify="left" if heading in ("database", "scenario") else "right"
        )
    table.add_column("÷ N clients, no notes", justify="right")
    for result in outcome.results:
        base = result.run(NO_NOTES).median_s
        for run in result.rotation:
            table.add_row(
                result.database,
                _SCENARIO_TITLES[run.scenario],
                f"{run.clients:,}",
                f"{run.notes:,}",
                f"{run.median_s:.3f}",
                f"{run.clients_per_s:,.0f}",
                f"{run.median_s / base:.2f}×",
            )
    return table


def crowded_table(outcome: Outcome) -> Table:
    """Sealed reads of one client's notes: in the small store, and in the crowded one."""
    c = outcome.config
    table = Table(title=f"Sealed reads of one client's {c.notes_per_read} notes as the store fills")
    for heading in ("database", "notes in store", "reads/s", "p50 µs", "p99 µs"):
        table.add_column(heading, justify="left" if heading == "database" else "right")
    table.add_column("÷ small store (p50)", justify="right")
    for result in outcome.results:
        small = result.notes.read_encrypted
        crowded = result.crowded_reads
        for notes, figures in (
            (c.notes_store_size, small),
            (c.clients * c.notes_per_client + c.notes_per_read, crowded),
        ):
            table.add_row(
                result.database,
                f"{notes:,}",
                f"{figures.per_second:,.1f}",
                f"{figures.p50_us:,.0f}",
                f"{figures.p99_us:,.0f}",
                f"{figures.p50_us / small.p50_us:,.1f}×",
            )
    return table


_SCENARIO_TITLES = {
    NO_NOTES: "(a) N clients, no notes",
    WITH_NOTES: "(b) N clients, M notes each",
    MORE_CLIENTS: "(c) 2N clients, no notes",
}


def target_lines(outcome: Outcome) -> list[str]:
    """Per database: the read target with pass or miss, and how rotation grew."""
    lines = []
    for result in outcome.results:
        ratio = result.notes.read_ratio
        met = ratio <= TARGET_READ_RATIO
        lines.append(
            f"target: {result.database} sealed reads within {TARGET_READ_RATIO}× of unsealed: "
            f"{ratio:.3f}× — {'PASS' if met else 'MISS'}"
        )
        base = result.run(NO_NOTES).median_s
        notes = result.run(WITH_NOTES).median_s / base
        clients = result.run(MORE_CLIENTS).median_s / base
        lines.append(
            f"rotation on {result.database}: with notes ÷ without {notes:.2f}× (flat is 1), "
            f"2N ÷ N clients {clients:.2f}× (proportional is 2)"
        )
    return lines


def summarise(outcome: Outcome) -> dict[str, Any]:
    """The figures as one flat JSON object (the benchmark's last line of output)."""
    c = outcome.config
    out: dict[str, Any] = {
        "bench": "store",
        "databases": [r.database for r in outcome.results],
        "skipped": sorted(outcome.skipped),
        "quick": c.quick,
        "seed": c.seed,
        "note_bytes": c.note_bytes,
        "note_clients": c.note_clients,
        "notes_per_read": c.notes_per_read,
        "writes": c.writes,
        "reads": c.reads,
        "warmup": c.warmup,
        "clients": c.clients,
        "notes_per_client": c.notes_per_client,
        "more_clients": c.more_clients,
        "rotation_repeats": c.repeats,
        "notes_store_size": c.notes_store_size,
        "crowded_store_notes": c.clients * c.notes_per_client + c.notes_per_read,
        "crowded_reads": c.crowded_reads,
        "seal_us": round(outcome.crypto.seal_us, 3),
        "open_us": round(outcome.crypto.open_us, 3),
        "target_read_ratio": TARGET_READ_RATIO,
    }
    for result in outcome.results:
        out |= _database_figures(result)
    return out


def _database_figures(result: DatabaseResult) -> dict[str, Any]:
    db = result.database
    n = result.notes
    out: dict[str, Any] = {}
    for operation, sealed, plain in (
        ("write", n.write_encrypted, n.write_plaintext),
        ("read", n.read_encrypted, n.read_plaintext),
    ):
        out |= _latency_figures(f"{db}_{operation}", "encrypted", sealed)
        out |= _latency_figures(f"{db}_{operation}", "plaintext", plain)
    out[f"{db}_read_notes_per_s_encrypted"] = round(n.read_encrypted.per_second * n.notes_per_read)
    out[f"{db}_read_notes_per_s_plaintext"] = round(n.read_plaintext.per_second * n.notes_per_read)
    out[f"{db}_write_ratio"] = round(n.write_ratio, 3)
    out[f"{db}_read_ratio"] = round(n.read_ratio, 3)
    out[f"{db}_read_ratio_p50"] = round(n.read_encrypted.p50_us / n.read_plaintext.p50_us, 3)
    out[f"{db}_read_target_met"] = n.read_ratio <= TARGET_READ_RATIO
    crowded = result.crowded_reads
    out |= {
        f"{db}_reads_per_s_crowded": round(crowded.per_second, 2),
        f"{db}_read_p50_us_crowded": round(crowded.p50_us, 1),
        f"{db}_read_p99_us_crowded": round(crowded.p99_us, 1),
        f"{db}_read_crowded_ratio": round(crowded.p50_us / n.read_encrypted.p50_us, 2),
    }
    for run in result.rotation:
        out[f"{db}_rotation_s_{run.scenario}"] = round(run.median_s, 4)
        out[f"{db}_rotation_clients_per_s_{run.scenario}"] = round(run.clients_per_s)
        out[f"{db}_rotation_rewrapped_{run.scenario}"] = min(run.rewrapped)
    base = result.run(NO_NOTES).median_s
    out[f"{db}_rotation_notes_ratio"] = round(result.run(WITH_NOTES).median_s / base, 3)
    out[f"{db}_rotation_clients_ratio"] = round(result.run(MORE_CLIENTS).median_s / base, 3)
    return out


def _latency_figures(prefix: str, vault: str, figures: Latencies) -> dict[str, Any]:
    return {
        f"{prefix}s_per_s_{vault}": round(figures.per_second, 1),
        f"{prefix}_p50_us_{vault}": round(figures.p50_us, 1),
        f"{prefix}_p99_us_{vault}": round(figures.p99_us, 1),
        f"{prefix}_mean_us_{vault}": round(figures.mean_us, 1),
    }


def json_line(summary: dict[str, Any]) -> str:
    """The summary as a single line of JSON."""
    return json.dumps(summary, separators=(", ", ": "), allow_nan=False)
