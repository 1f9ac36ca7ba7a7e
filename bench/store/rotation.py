"""Key rotation as the practice grows: by clients, and by notes.

Rotation re-wraps each client's data key and never touches a note, so its time should follow
the number of clients and stay flat as notes pile up. Three databases side by side: N clients
without notes, the same N clients with M notes each, and 2N clients without notes. After one
untimed rotation of each, rounds rotate each database once, in an order that shifts every
round, so drift in the machine hits every scenario alike; the median round is reported.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bench.store.config import Config
from bench.store.databases import temporary_directory, tidy
from bench.store.practice import add_dummy_notes, add_practice
from confide.services.deps import SystemClock
from confide.services.keys import rotate_keys
from confide.store.keys_repository import KeysRepository
from confide.vault import Vault, create_key_file, load_key_file

NO_NOTES = "no_notes"
WITH_NOTES = "with_notes"
MORE_CLIENTS = "more_clients"


@dataclass(frozen=True, slots=True)
class RotationDatabase:
    """One scenario's database and key file, and its size."""

    scenario: str
    engine: Engine
    key_file: Path
    clients: int
    notes_per_client: int


@dataclass(frozen=True, slots=True)
class RotationRun:
    """One scenario: its size, each timed rotation, and how many keys each re-wrapped."""

    scenario: str
    clients: int
    notes_per_client: int
    seconds: list[float]
    rewrapped: list[int]

    @property
    def median_s(self) -> float:
        """The median rotation time, in seconds."""
        return statistics.median(self.seconds)

    @property
    def clients_per_s(self) -> float:
        """Data keys re-wrapped per second, at the median time."""
        return self.clients / self.median_s

    @property
    def notes(self) -> int:
        """Notes in the store during the rotation."""
        return self.clients * self.notes_per_client


@contextmanager
def rotation_databases(
    open_database: Callable[[], AbstractContextManager[Engine]],
    config: Config,
    log: Callable[[str], None],
) -> Iterator[list[RotationDatabase]]:
    """The three scenarios' databases, filled, each with its own key file; removed afterwards."""
    sizes = (
        (NO_NOTES, config.clients, 0),
        (WITH_NOTES, config.clients, config.notes_per_client),
        (MORE_CLIENTS, config.more_clients, 0),
    )
    now = SystemClock().now()
    with ExitStack() as stack:
        directory = stack.enter_context(temporary_directory())
        databases = []
        for scenario, clients, notes in sizes:
            engine = stack.enter_context(open_database())
            key_file = directory / f"{scenario}.key"
            create_key_file(key_file)
            ids = [f"client-{k:06d}" for k in range(clients)]
            log(f"rotation: {scenario}: adding {clients:,} clients")
            add_practice(engine, Vault(load_key_file(key_file)), ids, now)
            if notes:
                started = time.perf_counter()
                inserted = add_dummy_notes(engine, ids, notes, now)
                log(
                    f"rotation: {scenario}: {inserted:,} notes ({notes} per client) inserted "
                    f"in {time.perf_counter() - started:.1f} s"
                )
            tidy(engine)
            databases.append(RotationDatabase(scenario, engine, key_file, clients, notes))
        yield databases


def time_rotations(
    databases: list[RotationDatabase], repeats: int, log: Callable[[str], None]
) -> list[RotationRun]:
    """One untimed rotation of each database, then ``repeats`` timed rounds."""
    for database in databases:
        _rotate(database)
    seconds: dict[str, list[float]] = {d.scenario: [] for d in databases}
    rewrapped: dict[str, list[int]] = {d.scenario: [] for d in databases}
    for round_ in range(repeats):
        shift = round_ % len(databases)
        for database in databases[shift:] + databases[:shift]:
            elapsed, count = _rotate(database)
            seconds[database.scenario].append(elapsed)
            rewrapped[database.scenario].append(count)
    runs = []
    for d in databases:
        run = RotationRun(
            d.scenario, d.clients, d.notes_per_client, seconds[d.scenario], rewrapped[d.scenario]
        )
        shown = ", ".join(f"{s:.3f}" for s in run.seconds)
        log(
            f"rotation: {d.scenario}, {d.clients:,} clients × {d.notes_per_client} notes: "
            f"median {run.median_s:.3f} s of {shown}"
        )
        runs.append(run)
    return runs


def _rotate(database: RotationDatabase) -> tuple[float, int]:
    """Rotate once (timed), then check that no live key is left under an old one (untimed)."""
    tidy(database.engine, "client_keys")  # the last rotation's dead rows gone, as autovacuum would
    start = time.perf_counter()
    report = rotate_keys(database.engine, database.key_file)
    elapsed = time.perf_counter() - start
    with database.engine.connect() as c:
        left = KeysRepository(c).count_not_wrapped_by(report.active_kek_id)
    assert left == 0, f"{left} data keys were left under an old key"
    return elapsed, report.rewrapped
