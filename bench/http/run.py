"""Set up a practice, serve it with uvicorn in its own process, load it, and count."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from bench.http.load import LoadResult, fetch, run_load
from bench.http.server import PLAIN_PATH
from confide.domain import (
    Actor,
    Category,
    Client,
    Organisation,
    Period,
    Role,
    TreatmentRelationship,
)
from confide.policy.authentication import ALL_SCOPES, Scope
from confide.services import accounts, practice, records
from confide.services.accounts import Principal
from confide.services.deps import Deps, SystemClock
from confide.store import schema as t
from confide.vault import KeyRing, LocalKek, Vault

NOTE = "Synthetic progress note for the HTTP benchmark: " + "attended and engaged. " * 30
Log = Callable[[str], None]


@dataclass(frozen=True)
class Setup:
    paths: list[str]  # one protected read per client
    headers: dict[str, str]
    client_ids: list[str]


@dataclass(frozen=True)
class Figures:
    protected_latency: LoadResult
    plain_latency: LoadResult
    protected_throughput: LoadResult
    plain_throughput: LoadResult
    audited_reads: int
    served_reads: int
    body_bytes: int


def seed(engine: Engine, kek: bytes, clients: int) -> Setup:
    """A practice, a clinician with an integration token, clients with one note each."""
    ring = KeyRing({"kek-bench": LocalKek("kek-bench", kek)}, "kek-bench")
    deps = Deps(engine, Vault(ring), SystemClock())
    practice.found_practice(
        deps, Organisation("home", "Home"), Actor("officer", Role.PRIVACY_OFFICER, "home")
    )
    practice.add_actor(deps, Actor("clin", Role.CLINICIAN, "home"), by="officer")
    start = datetime.now(UTC) - timedelta(days=1)
    ids = [f"client-{k:04d}" for k in range(clients)]
    for client_id in ids:
        practice.create_client(deps, Client(client_id, "home"), by="officer")
        relationship = TreatmentRelationship(f"rel-{client_id}", "clin", client_id, Period(start))
        practice.add_relationship(deps, relationship, by="officer")
        records.write_record(
            deps, actor_id="clin", client_id=client_id, category=Category.PROGRESS_NOTE, text=NOTE
        )
    who = Principal("clin", Role.CLINICIAN, "home", ALL_SCOPES, session_hash="bench-setup")
    token = accounts.issue_token(
        deps, who, "bench", frozenset({Scope.RECORDS_READ}), timedelta(days=1)
    )
    paths = [f"/api/v1/clients/{c}/records?category=progress_note" for c in ids]
    return Setup(paths, {"Authorization": f"Bearer {token.text}"}, ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database_url: str, kek: bytes, plain_file: Path, workers: int) -> Iterator[int]:
    """``confide``'s app under uvicorn in a process of its own, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": database_url,
        "BENCH_KEK": base64.b64encode(kek).decode(),
        "BENCH_PLAIN_FILE": str(plain_file),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "bench.http.server:build",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning", "--no-server-header",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)  # noqa: S603 - our own module
    try:
        _wait_for(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the benchmark's server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark's server did not start within 60 s")


def count_reads(engine: Engine, client_ids: list[str]) -> int:
    """The read entries on the clients' chains: one per protected read served."""
    a = t.audit_entries.c
    found = select(func.count()).where(a.chain_id.in_(client_ids), a.action == "read")
    with engine.connect() as c:
        return int(c.execute(found).scalar_one())


def measure(
    engine: Engine,
    database_url: str,
    *,
    seconds: float,
    connections: int,
    workers: int,
    clients: int,
    log: Log,
) -> Figures:
    """Latency at one connection (protected and plain, alternating rounds, one client), then
    throughput over many connections reading many clients' records in turn."""
    kek = secrets.token_bytes(32)
    setup = seed(engine, kek, clients)
    first = setup.paths[:1]
    with tempfile.TemporaryDirectory(prefix="confide-bench-http-") as directory:
        plain_file = Path(directory) / "plain.json"
        plain_file.write_bytes(b"")
        with serving(database_url, kek, plain_file, workers) as port:
            status, body = fetch(port, first[0], setup.headers)
            if status != 200 or NOTE.encode() not in body:
                raise RuntimeError(f"the protected read answered {status}")
        plain_file.write_bytes(body)
        before = count_reads(engine, setup.client_ids)
        with serving(database_url, kek, plain_file, workers) as port:
            status, same = fetch(port, PLAIN_PATH, {})
            if same != body:
                raise RuntimeError("the plain route does not return the protected read's bytes")
            latency = {"protected": LoadResult(), "plain": LoadResult()}
            for round_ in range(4):  # alternate, so drift in the machine hits both alike
                for name, paths in (("protected", first), ("plain", [PLAIN_PATH])):
                    got = run_load(port, paths, setup.headers, connections=1, seconds=seconds / 4)
                    latency[name].latencies += got.latencies
                    latency[name].wall += got.wall
                log(f"latency round {round_ + 1} of 4 done")
            protected = run_load(
                port, setup.paths, setup.headers, connections=connections, seconds=seconds
            )
            log(f"protected throughput: {protected.per_second:,.0f} reads/s")
            plain = run_load(port, [PLAIN_PATH], {}, connections=connections, seconds=seconds)
            log(f"plain throughput: {plain.per_second:,.0f} answers/s")
    audited = count_reads(engine, setup.client_ids) - before
    # Every protected read answered, the warm-up reads included (three per connection).
    served = len(latency["protected"].latencies) + len(protected.latencies) + 3 * (4 + connections)
    return Figures(
        latency["protected"], latency["plain"], protected, plain, audited, served, len(body)
    )


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) of the values, in milliseconds."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k] * 1000


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


warnings.filterwarnings("ignore", category=DeprecationWarning)
