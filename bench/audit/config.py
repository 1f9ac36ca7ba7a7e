"""The audit-log benchmark's parameters and its command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Config:
    """Sizes of the four measurements."""

    # 1. Appends, chained and plain: events per mode (one per transaction, then batched),
    # spread over this many clients, after untimed warm-up transactions on each side.
    events: int = 20_000
    append_clients: int = 100
    batch: int = 100
    warmup: int = 100
    # 2. Verification against the raw hash limit: entries, chains, timed rounds (median).
    verify_entries: int = 200_000
    verify_chains: int = 1_000
    verify_repeats: int = 3
    # 3. Verification of a large log (built in bulk, chains computed in Python).
    large_entries: int = 1_000_000
    large_chains: int = 10_000
    # 4. Concurrent appends on PostgreSQL: writer threads, events per run (all writers).
    writers: int = 8
    concurrent_events: int = 8_000
    concurrent_warmup: int = 10  # untimed appends per writer before each run
    seed: int = 7
    databases: tuple[str, ...] = DATABASES
    quick: bool = False


# A CI-size run: a few seconds per database, every measurement still made.
QUICK = Config(
    events=500,
    append_clients=10,
    warmup=10,
    verify_entries=2_000,
    verify_chains=20,
    verify_repeats=2,
    large_entries=20_000,
    large_chains=100,
    concurrent_events=400,
    concurrent_warmup=2,
    quick=True,
)


def parse_args(argv: list[str]) -> Config:
    """The configuration the command line asks for; ``--quick`` sets CI-size defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m bench audit",
        description=(
            "The hash-chained audit log: appends chained vs plain (appends/s), verification "
            "against the raw SHA-256 limit, verification of a large log, and concurrent appends "
            "on PostgreSQL, on SQLite and PostgreSQL."
        ),
    )
    parser.add_argument("--seed", type=int, help="seed of the synthetic events (7)")
    parser.add_argument(
        "--databases", default=None, help=f"comma-separated databases ({','.join(DATABASES)})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small CI-size run (500 appends per mode, 2,000 and 20,000 entries verified)",
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    if args.seed is not None:
        config = replace(config, seed=args.seed)
    if args.databases is not None:
        databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
        unknown = sorted(set(databases) - set(DATABASES))
        if unknown or not databases:
            parser.error(
                f"unknown database(s): {', '.join(unknown) or '(none)'}; "
                f"choose from {', '.join(DATABASES)}"
            )
        config = replace(config, databases=tuple(d for d in DATABASES if d in databases))
    return config
