"""The storage benchmark's parameters and its command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Config:
    """Sizes of the notes measurement and of the key-rotation measurement."""

    # Key rotation: N clients with no notes, the same N with M notes each, then 2N clients.
    clients: int = 10_000
    notes_per_client: int = 100
    repeats: int = 5  # timed rounds of rotations (one per scenario); the median is reported
    # Notes: clients per vault, notes each (one read returns them all), timed calls per vault.
    note_clients: int = 200
    notes_per_read: int = 5
    reads: int = 2_000
    warmup: int = 50
    crowded_reads: int = 20  # timed reads of one client with N × M notes in the store
    note_bytes: int = 4096
    seed: int = 7
    databases: tuple[str, ...] = DATABASES
    quick: bool = False

    @property
    def writes(self) -> int:
        """Timed writes per vault: every note of every client."""
        return self.note_clients * self.notes_per_read

    @property
    def notes_store_size(self) -> int:
        """Notes in the store while the notes measurement reads: both vaults' and warm-ups'."""
        return 2 * (self.writes + self.warmup)

    @property
    def more_clients(self) -> int:
        """Clients of the growth scenario: twice N."""
        return 2 * self.clients


# A CI-size run: a few seconds per database, every scenario still measured.
QUICK = Config(
    clients=200,
    notes_per_client=10,
    repeats=3,
    note_clients=10,
    reads=50,
    warmup=5,
    crowded_reads=5,
    quick=True,
)


def parse_args(argv: list[str]) -> Config:
    """The configuration the command line asks for; ``--quick`` sets CI-size defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m bench store",
        description=(
            "Sealed notes against the same path unsealed (writes/s, reads/s, p50/p99), and key "
            "rotation time as clients and notes grow, on SQLite and PostgreSQL."
        ),
    )
    parser.add_argument("--clients", type=int, help="clients N of the rotation runs (10000)")
    parser.add_argument(
        "--notes-per-client", type=int, help="notes M per client for the rotation runs (100)"
    )
    parser.add_argument("--seed", type=int, help="seed of the synthetic note text (7)")
    parser.add_argument(
        "--databases", default=None, help=f"comma-separated databases ({','.join(DATABASES)})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small CI-size run (N=200 clients, M=10 notes)"
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else Config()
    chosen = {"clients": args.clients, "notes_per_client": args.notes_per_client, "seed": args.seed}
    config = replace(base, **{k: v for k, v in chosen.items() if v is not None})
    if args.databases is not None:
        databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
        unknown = sorted(set(databases) - set(DATABASES))
        if unknown or not databases:
            parser.error(
                f"unknown database(s): {', '.join(unknown) or '(none)'}; "
                f"choose from {', '.join(DATABASES)}"
            )
        config = replace(config, databases=tuple(d for d in DATABASES if d in databases))
    if config.clients < 1 or config.notes_per_client < 1:
        parser.error("--clients and --notes-per-client must be at least 1")
    return config
