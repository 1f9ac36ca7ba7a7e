"""Load each size's practice into its own database, serve each with uvicorn in its own process,
and time five requests about the probe client over HTTP, one at a time, the sizes in turn."""

from __future__ import annotations

import http.client
import json
import secrets
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench.http.run import percentile, serving
from bench.scale.loader import (
    OUTSIDE_ORG,
    PROBE_CLIENT,
    PROBE_CLINICIAN,
    LoadReport,
    PracticeLoader,
    PracticeSize,
)
from bench.store.databases import postgres_database
from confide.domain import Role
from confide.policy.authentication import ALL_SCOPES, Scope
from confide.services import accounts
from confide.services.accounts import Principal
from confide.services.deps import Deps, SystemClock
from confide.vault import KeyRing, LocalKek, Vault

Log = Callable[[str], None]
API = "/api/v1"


@dataclass(frozen=True)
class Probe:
    """One request kind: its method, path, body, whose token, and the status it must answer."""

    name: str
    method: str
    path: str
    as_client: bool
    status: int = 200
    body: bytes | None = None


PROBES = (
    Probe("note_read", "GET", f"{API}/clients/{PROBE_CLIENT}/records?category=progress_note",
          as_client=False),
    Probe("history_page", "GET", f"{API}/clients/{PROBE_CLIENT}/access-history?limit=50",
          as_client=True),
    Probe("accounting", "GET", f"{API}/clients/{PROBE_CLIENT}/accounting", as_client=True),
    Probe("caseload", "GET", f"{API}/clients", as_client=False),
    Probe("consent_change", "POST", f"{API}/clients/{PROBE_CLIENT}/consents", as_client=True,
          status=201, body=json.dumps({"recipient_id": OUTSIDE_ORG, "categories": ["diagnosis"],
                                       "purposes": ["COC"]}).encode()),
)  # fmt: skip


@dataclass
class SizeFigures:
    """One size's load and its requests' latencies (seconds)."""

    size: PracticeSize
    load: LoadReport
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def p(self, name: str, q: float) -> float:
        """The q-th percentile of a request kind, in milliseconds."""
        return percentile(self.latencies.get(name, []), q)


def _tokens(deps: Deps) -> tuple[str, str]:
    """Bearer tokens for the probe clinician and the probe client, issued by confide."""
    out = []
    for actor, role, org, scopes in (
        (PROBE_CLINICIAN, Role.CLINICIAN, "home", {Scope.RECORDS_READ}),
        (PROBE_CLIENT, Role.CLIENT, None, {Scope.HISTORY_READ, Scope.CONSENTS_WRITE}),
    ):
        who = Principal(actor, role, org, ALL_SCOPES, session_hash="bench-setup")
        out.append(accounts.issue_token(deps, who, "bench", frozenset(scopes), timedelta(days=1)))
    return out[0].text, out[1].text


@dataclass
class _Served:
    """One size, loaded and served: its port, its tokens, its figures so far."""

    port: int
    headers: dict[str, dict[str, str]]
    figures: SizeFigures
    connection: http.client.HTTPConnection | None = None


def _one_round(served: _Served, keep: bool) -> None:
    """The five requests once, on the size's keep-alive connection."""
    if served.connection is None:
        served.connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=120)
    for probe in PROBES:
        who = served.headers["client" if probe.as_client else "clinician"]
        started = time.perf_counter()
        served.connection.request(probe.method, probe.path, body=probe.body, headers=who)
        answer = served.connection.getresponse()
        answer.read()
        elapsed = time.perf_counter() - started
        if answer.status != probe.status:
            served.figures.errors += 1
        elif keep:
            served.figures.latencies.setdefault(probe.name, []).append(elapsed)


def measure(sizes: list[PracticeSize], requests: int, log: Log) -> list[SizeFigures]:
    """Load every size into a database of its own and serve each from its own process; then
    time rounds of the five requests, one size after another in turn, so that drift in a
    shared machine hits every size alike."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="confide-scale-")))
        plain = directory / "plain.json"
        plain.write_bytes(b"{}")
        served = [_load_and_serve(stack, size, plain, log) for size in sizes]
        warmup = 3
        for turn in range(warmup + requests):
            for s in served:
                _one_round(s, keep=turn >= warmup)
            if (turn + 1) % 50 == 0:
                log(f"{turn + 1 - warmup} of {requests} rounds timed at every size")
        for s in served:
            if s.connection is not None:
                s.connection.close()
    return [s.figures for s in served]


def _load_and_serve(stack: ExitStack, size: PracticeSize, plain: Path, log: Log) -> _Served:
    key = secrets.token_bytes(32)
    kek = LocalKek("kek-bench", key)  # the id the served app (bench.http.server) uses
    ring = KeyRing({kek.kek_id: kek}, kek.kek_id)
    engine = stack.enter_context(postgres_database())
    report = PracticeLoader(engine, ring, size).load()
    log(
        f"{size.notes:,} notes: loaded {report.total_rows:,} rows in "
        f"{report.total_seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
    )
    clinician, client = _tokens(Deps(engine, Vault(ring), SystemClock()))
    base = {"Content-Type": "application/json"}
    headers = {
        "clinician": {**base, "Authorization": f"Bearer {clinician}"},
        "client": {**base, "Authorization": f"Bearer {client}"},
    }
    url = engine.url.render_as_string(hide_password=False)
    port = stack.enter_context(serving(url, key, plain, workers=1))
    return _Served(port, headers, SizeFigures(size, report))
