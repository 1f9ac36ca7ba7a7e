"""The crash harness: writer processes killed with SIGKILL at random moments, then the store
checked from outside with a fresh engine and a fresh vault.

``run_crash`` prepares a small synthetic practice, starts one writer process per role (see
``tests.resilience.writer``), and kills a random writer at work, after a short random delay,
again and again, restarting it each time. It collects every acknowledgement the writers
printed, including those flushed just before a kill. Then it checks that

- every acknowledged note version is stored and decrypts to the text acknowledged; every
  acknowledged consent is stored, and every acknowledged revocation recorded; every acknowledged
  disclosure step is stored with its audit entry; every acknowledged read has its audit entry;
- every stored record version, consent, revocation and disclosure revision has its audit entry,
  and every such audit entry its stored counterpart (orphans, counted both ways);
- every audit chain verifies, and so does a checkpoint signed after the run (and those signed
  during it); SQLite's integrity and foreign-key checks pass;
- the store opens cleanly: migrations at head, and a fresh read returns what was acknowledged.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError

from confide.audit.signing import SignedCheckpoint, SigningKey
from confide.domain import (
    Actor,
    Category,
    Client,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.services import practice, records
from confide.services.audit import checkpoint, verify_log
from confide.services.deps import Deps, SystemClock
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.store.keys_repository import KeysRepository
from confide.store.migrate import alembic_config, upgrade
from confide.vault import IntegrityError, RecordBinding, Vault, create_key_file, load_key_file
from tests.resilience.writer import ROLES, read_digest

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get(
    "CONFIDE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# A writer is killed this long (seconds, uniform) after the previous kill: long enough for
# its use cases to be under way, short enough that most kills land inside one.
KILL_DELAY = (0.02, 0.35)
CHECKPOINT_EVERY = 50  # kills between checkpoints the controller signs during the run
SETUP_ENTRIES = {
    Category.DEMOGRAPHICS: "Synthetic contact line: reachable at the green door.",
    Category.RISK_ASSESSMENT: "Synthetic risk line: a plan about the blue bicycle.",
    Category.DIAGNOSIS: "Synthetic diagnosis line: code placeholder 000.",
    Category.PROGRESS_NOTE: "Synthetic progress line: talked about the garden.",
    Category.PSYCHOTHERAPY_NOTE: "Synthetic private line: a dream about a lighthouse.",
}
HARNESS_TEXT = "Synthetic crash-harness "  # what the note writer's texts begin with
# The steps the disclosure writer takes, each audited with the request's new revision.
DISCLOSURE_ACTIONS = (
    "disclosure_open",
    "disclosure_submit",
    "disclosure_approve",
    "disclosure_disclose",
)
Progress = Callable[[str], None]


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server where this user may create a database."""


@contextmanager
def postgres_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one run, dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"confide_crash_{secrets.token_hex(4)}"
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        raise PostgresUnavailable(
            f"PostgreSQL is not reachable at {admin_url.rsplit('@', 1)[-1]}; start it, or set "
            "CONFIDE_TEST_POSTGRES_URL to a server where this user may create databases"
        ) from None
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True, slots=True)
class Cast:
    """The synthetic practice the writers act in: ids only, written for the writers as JSON."""

    url: str
    key_file: str
    clients: tuple[str, ...]
    clinician: str
    reader: str
    supervisor: str
    police: str
    other_clinic: str


def prepare(url: str, workdir: Path, *, clients: int = 3) -> tuple[Cast, Path]:
    """Migrate the store, put a practice on file with one entry per category for each client,
    and write the cast file the writers read."""
    upgrade(make_engine(url))
    key_file = workdir / "confide.key"
    deps = Deps(make_engine(url), Vault(create_key_file(key_file)), SystemClock())
    tag = secrets.token_hex(3)
    home, officer = f"home-{tag}", f"officer-{tag}"
    cast = Cast(
        url,
        str(key_file),
        tuple(f"client-{tag}-{n}" for n in range(clients)),
        f"clin-{tag}",
        f"reader-{tag}",
        f"sup-{tag}",
        f"police-{tag}",
        f"north-{tag}",
    )
    practice.found_practice(
        deps, Organisation(home, "Home practice"), Actor(officer, Role.PRIVACY_OFFICER, home)
    )
    for org, name in ((cast.other_clinic, "Other clinic"), (f"pd-{tag}", "Police department")):
        practice.add_organisation(deps, Organisation(org, name), by=officer)
    for actor in (
        Actor(cast.clinician, Role.CLINICIAN, home),
        Actor(cast.reader, Role.CLINICIAN, home),
        Actor(cast.supervisor, Role.SUPERVISOR, home),
        Actor(cast.police, Role.RECIPIENT, f"pd-{tag}"),
    ):
        practice.add_actor(deps, actor, by=officer)
    since = Period(datetime.now(UTC) - timedelta(minutes=1))
    for client in cast.clients:
        practice.create_client(deps, Client(client, home), by=cast.clinician)
        for clinician in (cast.clinician, cast.reader):
            relationship = TreatmentRelationship(
                f"rel-{clinician}-{client}", clinician, client, since
            )
            practice.add_relationship(deps, relationship, by=officer)
        for category, words in SETUP_ENTRIES.items():
            records.write_record(
                deps, actor_id=cast.clinician, client_id=client, category=category, text=words
            )
    deps.engine.dispose()
    cast_file = workdir / "cast.json"
    cast_file.write_text(json.dumps(asdict(cast)))
    return cast, cast_file


@dataclass(frozen=True, slots=True)
class Life:
    """One life of a writer: its pid (never reaped before ``reap``, so never reused before it),
    how to open its acknowledgement stream, and how to let it go once it is dead."""

    pid: int
    open_stream: Callable[[], IO[bytes]]
    reap: Callable[[], None]
    unblock: Callable[[], None] = lambda: None


class ForkLauncher:
    """``python -m tests.resilience.writer serve``: a process that has imported the writer
    once and forks each life on request, so a restart costs a fork and a connection, not an
    interpreter and its imports. Each life writes its acknowledgements into a FIFO of its own."""

    def __init__(self, cast_file: Path, workdir: Path, log: IO[bytes]) -> None:
        self.cast_file, self.workdir = cast_file, workdir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.resilience.writer", "serve", str(cast_file)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip

    def _command(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def __call__(self, role: str, seed: str, name: str) -> Life:
        """Fork one life of ``role``."""
        fifo = self.workdir / f"{name}.fifo"
        os.mkfifo(fifo, 0o600)
        self._command(f"fork {role} {seed} {fifo}")
        assert self.process.stdout is not None
        pid = int(self.process.stdout.readline())

        def open_stream() -> IO[bytes]:
            stream = fifo.open("rb")  # waits for the life to open its end
            fifo.unlink()
            return stream

        def unblock() -> None:  # a life killed before it opened its end: end the wait
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

        return Life(pid, open_stream, lambda: self._command(f"reap {pid}"), unblock)

    def close(self) -> None:
        """Stop the launcher (every life has been killed and reaped)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


class SpawnLauncher:
    """Each life a fresh interpreter: ``python -m tests.resilience.writer ROLE CAST SEED``."""

    def __init__(self, cast_file: Path, log: IO[bytes]) -> None:
        self.cast_file, self.log = cast_file, log

    def __call__(self, role: str, seed: str, name: str) -> Life:
        """Start one life of ``role``."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.resilience.writer", role, str(self.cast_file), seed],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log,
        )  # fmt: skip
        assert process.stdout is not None
        stream = process.stdout

        def reap() -> None:
            process.wait(timeout=60)

        return Life(process.pid, lambda: stream, reap)

    def close(self) -> None:
        """Nothing to stop."""


Launcher = ForkLauncher | SpawnLauncher


class WriterProcess:
    """One writer role, restarted after each kill; its acknowledgements are kept across lives."""

    def __init__(self, role: str, index: int, seed: int, launch: Launcher) -> None:
        self.role, self.index, self.seed, self.launch = role, index, seed, launch
        self.acks: list[dict[str, Any]] = []
        self.lives = 0
        self.start_up: list[float] = []
        self.partial_lines = 0
        self.busy = 0
        self.in_operation = False
        self.ready = threading.Event()
        self.life: Life | None = None
        self.reader: threading.Thread | None = None

    def start(self) -> None:
        """Start a new life of this writer."""
        self.lives += 1
        self.ready.clear()
        self.in_operation = False
        started = time.monotonic()
        name = f"writer-{self.index}-{self.lives}"
        self.life = self.launch(self.role, f"{self.seed}-{self.index}-{self.lives}", name)
        self.reader = threading.Thread(target=self._read, args=(self.life, started), daemon=True)
        self.reader.start()

    def _read(self, life: Life, started: float) -> None:
        with life.open_stream() as stream:
            for raw in stream:
                if not raw.endswith(b"\n"):  # cut short by the kill: never a whole line
                    self.partial_lines += 1
                    break
                if raw == b"b\n":
                    self.in_operation = True
                    continue
                if raw == b"busy\n":
                    self.busy += 1
                    self.in_operation = False
                    continue
                fields = json.loads(raw)
                if fields["kind"] == "ready":
                    self.start_up.append(time.monotonic() - started)
                    self.ready.set()
                    continue
                self.in_operation = False
                fields["role"] = self.role
                self.acks.append(fields)

    def exited_by_itself(self) -> bool:
        """True when this life ended without being killed: a writer's own failure."""
        assert self.reader is not None
        assert self.life is not None
        return not self.reader.is_alive() or _is_dead(self.life.pid)

    def kill(self) -> bool:
        """SIGKILL this life; True if it was inside a use case (begun, not acknowledged)."""
        assert self.life is not None
        assert self.reader is not None
        os.kill(self.life.pid, signal.SIGKILL)  # not yet reaped: the pid is still this life's
        self.reader.join(timeout=5)
        while self.reader.is_alive():
            self.life.unblock()
            self.reader.join(timeout=1)
        self.life.reap()
        return self.in_operation


def _is_dead(pid: int) -> bool:
    """A zombie: exited, not yet reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@dataclass
class RunFigures:
    """What the controller did and saw."""

    kills: int = 0
    kills_inside_a_use_case: int = 0
    kills_by_role: dict[str, int] = field(default_factory=dict)
    unexpected_exits: int = 0
    busy: int = 0
    writer_errors: dict[str, int] = field(default_factory=dict)
    checkpoints_during_run: int = 0
    start_up_median_s: float = 0.0
    start_up_p90_s: float = 0.0
    acks: list[dict[str, Any]] = field(default_factory=list)


def drive(
    url: str,
    cast_file: Path,
    workdir: Path,
    *,
    kills: int,
    writers: int,
    seed: int,
    signing_key: SigningKey,
    progress: Progress,
    fork: bool = True,
) -> RunFigures:
    """Start the writers; ``kills`` times, after a random delay, SIGKILL a writer picked at
    random (one still starting is killed a random delay after it is at work) and restart it;
    every ``CHECKPOINT_EVERY`` kills sign a checkpoint; then stop them all."""
    rng = random.Random(seed)
    figures = RunFigures(kills_by_role=dict.fromkeys(ROLES, 0))
    engine = make_engine(url)
    with (workdir / "writers.log").open("ab") as log:
        launch: Launcher = (
            ForkLauncher(cast_file, workdir, log) if fork else SpawnLauncher(cast_file, log)
        )
        team = [WriterProcess(ROLES[i % len(ROLES)], i, seed, launch) for i in range(writers)]
        for w in team:
            w.start()
        try:
            while figures.kills < kills:
                time.sleep(rng.uniform(*KILL_DELAY))
                for w in team:
                    if w.exited_by_itself():
                        figures.unexpected_exits += 1
                        w.kill()
                        w.start()
                victim = rng.choice(team)
                if not victim.ready.is_set():  # still starting: kill it once it is at work
                    victim.ready.wait(timeout=60)
                    time.sleep(rng.uniform(*KILL_DELAY))
                figures.kills_inside_a_use_case += victim.kill()
                figures.kills += 1
                figures.kills_by_role[victim.role] += 1
                victim.start()
                if figures.kills % CHECKPOINT_EVERY == 0:
                    if _checkpoint_retrying(engine, signing_key) is not None:
                        figures.checkpoints_during_run += 1
                    acked = sum(len(w.acks) for w in team)
                    progress(f"{figures.kills}/{kills} kills, {acked} acknowledged")
        finally:
            for w in team:
                w.ready.wait(timeout=30)  # let the last life do some work before it stops
                w.kill()
            launch.close()
            engine.dispose()
    times = sorted(s for w in team for s in w.start_up)
    figures.start_up_median_s = round(statistics.median(times), 3)
    figures.start_up_p90_s = round(times[int(0.9 * (len(times) - 1))], 3)
    figures.acks = [a for w in team for a in w.acks]
    figures.writer_errors = _errors_in(workdir / "writers.log")
    figures.busy = sum(w.busy for w in team)
    return figures


def _checkpoint_retrying(engine: Engine, key: SigningKey) -> SignedCheckpoint | None:
    """A checkpoint while the writers run; SQLite may make it wait past its busy timeout."""
    for _attempt in range(4):
        with contextlib.suppress(OperationalError):
            return checkpoint(engine, key, SystemClock())
    return checkpoint(engine, key, SystemClock())


def _errors_in(log: Path) -> dict[str, int]:
    """The last line of each traceback the writers left: what made one exit by itself."""
    lines = log.read_text(errors="replace").splitlines()
    ends = [b for a, b in itertools.pairwise(lines) if a.startswith(" ") and not b.startswith(" ")]
    return dict(Counter(line[:160] for line in ends))


@dataclass
class Findings:
    """What the store holds after the run, against what was acknowledged."""

    lost_writes: int = 0
    orphan_records: int = 0
    orphan_audit_entries: int = 0
    unreadable_versions: int = 0
    # Committed, but the writer was killed before it said so: expected, and not a loss.
    committed_unacknowledged: int = 0
    chains_verified: int = 0
    chain_breaks: int = 0
    checkpoints_verified: int = 0
    checkpoint_problems: int = 0
    sqlite_integrity: str = "not applicable"
    migrations_at_head: bool = False
    fresh_read_entries: int = 0
    problems: list[str] = field(default_factory=list)

    def lost(self, what: str) -> None:
        """An acknowledged write the store does not hold as acknowledged."""
        self.lost_writes += 1
        self.problems.append(f"lost: {what}")


def check(cast: Cast, acks: list[dict[str, Any]], signing_key: SigningKey) -> Findings:
    """Open the store afresh (new engine, vault from the key file) and check it whole."""
    findings = Findings()
    engine = make_engine(cast.url)
    deps = Deps(engine, Vault(load_key_file(Path(cast.key_file))), SystemClock())
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for ack in acks:
        by_kind.setdefault(ack["kind"], []).append(ack)
    try:
        with engine.connect() as c:
            if c.dialect.name == "sqlite":
                findings.sqlite_integrity = str(c.execute(text("PRAGMA integrity_check")).scalar())
                if c.execute(text("PRAGMA foreign_key_check")).first() is not None:
                    findings.problems.append("a row refers to a missing row (foreign key)")
            script = ScriptDirectory.from_config(alembic_config())
            current = set(MigrationContext.configure(c).get_current_heads())
            findings.migrations_at_head = current == set(script.get_heads())
            entries = _audit_entries(c)
            _check_notes(deps, c, entries, by_kind.get("note", []), findings)
            _check_consents(c, entries, by_kind, findings)
            _check_disclosures(c, entries, by_kind.get("disclosure", []), findings)
            _check_reads(c, entries, by_kind.get("read", []), findings)
        _check_fresh_read(deps, cast, by_kind.get("note", []), findings)
        checkpoint(engine, signing_key, SystemClock())
        report = verify_log(engine, signing_key.public_key)
        findings.chain_breaks = len(report.breaks)
        findings.chains_verified = report.chains - len(report.breaks)
        findings.checkpoint_problems = len(report.checkpoint_problems)
        findings.checkpoints_verified = report.checkpoints - len(report.checkpoint_problems)
        findings.problems += [f"chain {b.chain_id} breaks at {b.seq}" for b in report.breaks]
        findings.problems += report.checkpoint_problems
    finally:
        engine.dispose()
    return findings


def _audit_entries(c: Connection) -> list[Any]:
    e = t.audit_entries.c
    query = select(e.client_id, e.actor_id, e.action, e.rule, e.reasons, e.record_id, e.record_ids)
    return list(c.execute(query.where(e.effect == "permit")))


def _check_notes(
    deps: Deps, c: Connection, entries: list[Any], acks: list[dict[str, Any]], findings: Findings
) -> None:
    """Each version decrypts, has its write entry, and each write entry its version."""
    stored: dict[tuple[str, int], str] = {}
    kept: Counter[str] = Counter()
    for head, versions in (
        (t.records, t.record_versions),
        (t.psychotherapy_notes, t.psychotherapy_note_versions),
    ):
        rows = c.execute(
            select(versions, head.c.client_id, head.c.category).join(
                head, head.c.id == versions.c.record_id
            )
        )
        keys = KeysRepository(c)
        for r in rows:
            kept[r.record_id] += 1
            key = keys.get(r.client_id)
            binding = RecordBinding(r.client_id, r.record_id, r.category, r.version)
            try:
                assert key is not None
                stored[(r.record_id, r.version)] = deps.vault.open(
                    key, r.ciphertext, binding
                ).decode()
            except (AssertionError, IntegrityError):
                findings.unreadable_versions += 1
                findings.problems.append(f"record {r.record_id} version {r.version} does not open")
    for ack in acks:
        if stored.get((ack["record"], ack["version"])) != ack["text"]:
            findings.lost(f"note {ack['record']} version {ack['version']}")
    acked = {(a["record"], a["version"]) for a in acks}
    findings.committed_unacknowledged += sum(
        1 for v, words in stored.items() if words.startswith(HARNESS_TEXT) and v not in acked
    )
    logged = Counter(r.record_id for r in entries if r.action == "write" and r.record_id)
    findings.orphan_records += sum((kept - logged).values())
    findings.orphan_audit_entries += sum((logged - kept).values())


def _check_consents(
    c: Connection, entries: list[Any], by_kind: dict[str, list[dict[str, Any]]], findings: Findings
) -> None:
    """Acknowledged grants stored, revocations recorded; one entry per grant and revocation."""
    rows = {r.id: r for r in c.execute(select(t.consents))}
    for ack in by_kind.get("grant", []):
        row = rows.get(ack["consent"])
        if row is None or row.client_id != ack["client"]:
            findings.lost(f"consent {ack['consent']}")
    for ack in by_kind.get("revoke", []):
        row = rows.get(ack["consent"])
        if row is None or row.revoked_at is None:
            findings.lost(f"revocation of consent {ack['consent']}")
    acked = {a["consent"] for a in by_kind.get("grant", [])}
    findings.committed_unacknowledged += len(rows.keys() - acked)
    granted = Counter(r.client_id for r in rows.values())
    revoked = Counter(r.client_id for r in rows.values() if r.revoked_at is not None)
    for action, kept in (("grant_consent", granted), ("revoke_consent", revoked)):
        logged = Counter(r.client_id for r in entries if r.action == action)
        findings.orphan_records += sum((kept - logged).values())
        findings.orphan_audit_entries += sum((logged - kept).values())


def _check_disclosures(
    c: Connection, entries: list[Any], acks: list[dict[str, Any]], findings: Findings
) -> None:
    """Every revision of a request has its step entry; every step entry its revision."""
    d = t.disclosure_requests.c
    revision = {r.id: r.revision for r in c.execute(select(d.id, d.revision))}
    logged: dict[tuple[str, int], str] = {}
    for r in entries:
        if r.action in DISCLOSURE_ACTIONS and r.record_id:
            step_revision = int(dict(p.split("=", 1) for p in r.reasons.split(";"))["revision"])
            logged[(r.record_id, step_revision)] = r.rule
    kept = {(i, n) for i, top in revision.items() for n in range(1, top + 1)}
    findings.orphan_records += len(kept - logged.keys())
    findings.orphan_audit_entries += len(logged.keys() - kept)
    for ack in acks:
        step = (ack["request"], ack["revision"])
        if step not in kept or logged.get(step) != f"disclosure.{ack['state']}":
            findings.lost(f"disclosure {ack['request']} revision {ack['revision']}")
    findings.committed_unacknowledged += len(kept - {(a["request"], a["revision"]) for a in acks})


def _check_reads(
    c: Connection, entries: list[Any], acks: list[dict[str, Any]], findings: Findings
) -> None:
    """Every acknowledged read has its audit entry; every read entry names stored records."""
    existing = set(c.execute(select(t.records.c.id)).scalars())
    existing |= set(c.execute(select(t.psychotherapy_notes.c.id)).scalars())
    logged: Counter[tuple[str, str]] = Counter()
    for r in entries:
        if r.action != "read":
            continue
        named = [i for i in r.record_ids.split(",") if i]
        findings.orphan_audit_entries += len(set(named) - existing)
        logged[(r.client_id, read_digest(named))] += 1
    acked = Counter((a["client"], a["records"]) for a in acks)
    for client_id, _digest in (acked - logged).elements():
        findings.lost(f"read of client {client_id}")


def _check_fresh_read(
    deps: Deps, cast: Cast, acks: list[dict[str, Any]], findings: Findings
) -> None:
    """The store reads as a clinician sees it: each acknowledged note at its latest version."""
    latest: dict[str, int] = {}
    for ack in acks:
        latest[ack["record"]] = max(latest.get(ack["record"], 0), ack["version"])
    seen: dict[str, int] = {}
    for client in cast.clients:
        try:
            view = records.read_records(
                deps,
                actor_id=cast.clinician,
                client_id=client,
                categories=frozenset({Category.PROGRESS_NOTE}),
                purpose=Purpose.TREAT,
            )
        except IntegrityError:
            findings.problems.append(f"a fresh read of client {client} failed its integrity check")
            continue
        findings.fresh_read_entries += len(view.entries)
        seen |= {e.record_id: e.version for e in view.entries}
    for record_id, version in latest.items():
        if seen.get(record_id, 0) < version:
            findings.lost(f"note {record_id} in a fresh read")


@dataclass
class DatabaseResult:
    """The figures of one database's run."""

    database: str
    start_method: str
    kills: int
    kills_inside_a_use_case: int
    acknowledged_writes: int
    acknowledged_by_kind: dict[str, int]
    disclosure_steps_by_state: dict[str, int]
    kills_by_role: dict[str, int]
    unexpected_exits: int
    busy_refusals: int
    writer_errors: dict[str, int]
    checkpoints_during_run: int
    writer_start_up_median_s: float
    writer_start_up_p90_s: float
    findings: Findings
    setup_s: float
    kills_s: float
    check_s: float
    duration_s: float

    @property
    def whole(self) -> bool:
        """Nothing lost, nothing orphaned, every chain and checkpoint verified, store sound."""
        f = self.findings
        return (
            f.lost_writes == f.orphan_records == f.orphan_audit_entries == 0
            and f.unreadable_versions == f.chain_breaks == f.checkpoint_problems == 0
            and f.sqlite_integrity in {"ok", "not applicable"}
            and f.migrations_at_head
            and not f.problems
            and self.unexpected_exits == 0
        )

    def figures(self) -> dict[str, Any]:
        """The JSON figures, problems left out (they are printed apart)."""
        out = asdict(self)
        findings = out.pop("findings")
        findings.pop("problems")
        return {**out, **findings, "whole": self.whole}


def run_crash(
    url: str,
    workdir: Path,
    *,
    database: str,
    kills: int,
    writers: int = 4,
    seed: int = 20261128,
    fork: bool = True,
    progress: Progress = lambda _message: None,
) -> DatabaseResult:
    """Prepare, drive the kills, check; ``workdir`` holds the key file and the writers' log.

    With ``fork`` each writer life is forked from a launcher that imported the writer once;
    without it, each life is a fresh interpreter (slower to start, the same kills)."""
    if writers < len(ROLES):
        raise ValueError(f"at least {len(ROLES)} writers, one per role")
    started = time.monotonic()
    cast, cast_file = prepare(url, workdir)
    signing_key = SigningKey.generate()
    setup_engine = make_engine(url)
    checkpoint(setup_engine, signing_key, SystemClock())  # chains as set up, signed
    setup_engine.dispose()
    prepared = time.monotonic()
    figures = drive(
        url, cast_file, workdir, kills=kills, writers=writers, seed=seed,
        signing_key=signing_key, progress=progress, fork=fork,
    )  # fmt: skip
    ran = time.monotonic()
    findings = check(cast, figures.acks, signing_key)
    return DatabaseResult(
        database=database,
        start_method="fork" if fork else "spawn",
        kills=figures.kills,
        kills_inside_a_use_case=figures.kills_inside_a_use_case,
        acknowledged_writes=len(figures.acks),
        acknowledged_by_kind=dict(Counter(a["kind"] for a in figures.acks)),
        disclosure_steps_by_state=dict(
            Counter(a["state"] for a in figures.acks if a["kind"] == "disclosure")
        ),
        kills_by_role=figures.kills_by_role,
        unexpected_exits=figures.unexpected_exits,
        busy_refusals=figures.busy,
        writer_errors=figures.writer_errors,
        checkpoints_during_run=figures.checkpoints_during_run,
        writer_start_up_median_s=figures.start_up_median_s,
        writer_start_up_p90_s=figures.start_up_p90_s,
        findings=findings,
        setup_s=round(prepared - started, 1),
        kills_s=round(ran - prepared, 1),
        check_s=round(time.monotonic() - ran, 1),
        duration_s=round(time.monotonic() - started, 1),
    )
