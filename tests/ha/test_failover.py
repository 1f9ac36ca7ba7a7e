"""Failover to a synchronous standby loses nothing acknowledged (decision 0021).

Writers put notes and their corrections, consents and their revocations, audited reads and the
steps of a duty-to-warn disclosure on a primary whose synchronous standby must flush every
commit before the primary acknowledges it; a checkpoint is signed while they write. Then the
primary crashes (``pg_ctl stop -m immediate``) in the middle of the writing and the standby is
promoted. confide's database URL names both servers (libpq keeps the one that takes writes), so
the running confide writes again on the new primary without a restart; a confide started afresh
on the same URL finds every acknowledged write there (each version decrypts), every chain and
checkpoint verifies, the log extends the checkpoint signed before the failover, and confide goes
on reading, writing and checkpointing on the new primary.

The clusters are created with ``pg_createcluster`` and dropped afterwards (tests/ha/clusters.py).
Without PostgreSQL's cluster tools, or when not run as root, the test skips and says why; under
CI (CI=true) it fails instead.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, create_engine, func, select

from confide.audit import merkle
from confide.audit.signing import SignedCheckpoint, SigningKey
from confide.domain import (
    Category,
    Consent,
    Period,
    Purpose,
)
from confide.domain.disclosures import DisclosureState
from confide.services import audit, consents, disclosures, records
from confide.services.deps import Deps, SystemClock
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.store.keys_repository import KeysRepository
from confide.store.migrate import upgrade
from confide.vault import KeyRing, LocalKek, RecordBinding, Vault
from tests.ha.clusters import (
    STANDBY_NAME,
    Cluster,
    failover_url,
    missing_tools,
    replicated_pair,
)
from tests.integration.conftest import T0, seed_small_practice
from tests.integration.disclosure_cast import Cast, make_cast, warn_ask

# Enough acknowledged writes before the checkpoint, and after it before the crash, that every
# writer has acknowledged several and is mid-transaction when the primary goes.
BEFORE_CHECKPOINT = 25
BEFORE_CRASH = 50
WRITE_SECONDS_LIMIT = 40
STATE_ORDER = [
    DisclosureState.DRAFT,
    DisclosureState.SUBMITTED,
    DisclosureState.APPROVED,
    DisclosureState.DISCLOSED,
]


@pytest.fixture
def pair() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary and its synchronous standby, dropped after the test."""
    why = missing_tools()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    with replicated_pair() as clusters:
        yield clusters


@dataclass
class Acknowledged:
    """What the writers were told had committed, recorded only after the use case returned."""

    versions: list[tuple[str, int, str]] = field(default_factory=list)  # record, version, text
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)  # the audited decisions' request ids
    steps: dict[str, DisclosureState] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            steps = sum(STATE_ORDER.index(s) + 1 for s in self.steps.values())
            return (
                len(self.versions) + len(self.granted) + len(self.revoked) + len(self.reads) + steps
            )


@dataclass
class Writers:
    """Writer threads that run until ``crashed`` is set; an error before it fails the test."""

    deps: Deps
    cast: Cast
    acked: Acknowledged = field(default_factory=Acknowledged)
    crashed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)  # ends them on a failure
    errors_before_crash: list[BaseException] = field(default_factory=list)
    stopped_by_crash: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for name, loop in (
            ("notes", self._notes),
            ("consents", self._consents_and_reads),
            ("disclosures", self._disclosures),
        ):
            thread = threading.Thread(target=self._run, args=(name, loop), daemon=True)
            thread.start()
            self.threads.append(thread)

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)
        assert not any(thread.is_alive() for thread in self.threads), "a writer hung"

    def _run(self, name: str, loop: Callable[[], None]) -> None:
        try:
            while not self.stop.is_set():
                loop()
        except Exception as error:  # the crash ends every writer; anything before it is a bug
            if self.crashed.is_set():
                self.stopped_by_crash.append(name)
            else:
                self.errors_before_crash.append(error)

    def _notes(self) -> None:
        p, deps, acked = self.cast.p, self.deps, self.acked
        text = f"Synthetic failover note {secrets.token_hex(4)}"
        record_id = records.write_record(
            deps, actor_id=p.clinician, client_id=p.client, category=Category.PROGRESS_NOTE,
            text=text,
        )  # fmt: skip
        with acked.lock:
            acked.versions.append((record_id, 1, text))
        correction = f"Synthetic failover correction {secrets.token_hex(4)}"
        version = records.amend_record(
            deps, actor_id=p.clinician, record_id=record_id, text=correction
        )
        with acked.lock:
            acked.versions.append((record_id, version, correction))

    def _consents_and_reads(self) -> None:
        p, deps, acked = self.cast.p, self.deps, self.acked
        consent = Consent(
            f"consent-ha-{secrets.token_hex(6)}",
            p.client,
            p.other,
            frozenset({Category.PROGRESS_NOTE, Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(T0),
        )
        consents.grant_consent(deps, consent, by=p.client)
        with acked.lock:
            acked.granted.append(consent.id)
        view = records.read_records(
            deps, actor_id=p.outsider, client_id=p.client,
            categories=frozenset({Category.PROGRESS_NOTE}), purpose=Purpose.COC,
        )  # fmt: skip
        assert view.entries, "the consent permits the other clinic's clinician to read"
        with acked.lock:
            acked.reads += [d.request_id for d in view.decisions if d.request_id is not None]
        consents.revoke_consent(deps, consent.id, by=p.client)
        with acked.lock:
            acked.revoked.append(consent.id)

    def _disclosures(self) -> None:
        c, deps, acked = self.cast, self.deps, self.acked
        opened = disclosures.open_request(deps, warn_ask(c), by=c.p.clinician)
        steps: list[Callable[[], object]] = [
            lambda: disclosures.submit_request(deps, opened.id, by=c.p.clinician),
            lambda: disclosures.approve_request(deps, opened.id, by=c.supervisor),
            lambda: disclosures.disclose(deps, opened.id, by=c.p.clinician),
        ]
        with acked.lock:
            acked.steps[opened.id] = DisclosureState.DRAFT
        for step, state in zip(steps, STATE_ORDER[1:], strict=True):
            step()
            with acked.lock:
                acked.steps[opened.id] = state


def _seed(deps: Deps) -> Cast:
    """A small synthetic practice, a supervisor, outside recipients, one entry per category."""
    return make_cast(deps, seed_small_practice(deps))


def _create_database(primary: Cluster) -> None:
    admin = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql("CREATE DATABASE confide")
    admin.dispose()


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _first_write(deps: Deps, cast: Cast, seconds: float = 30) -> tuple[str, int]:
    """The first write confide gets through after the failover, and how many tries it took
    (a try may meet a connection the crash broke; the next one opens a new connection)."""
    deadline = time.monotonic() + seconds
    tries = 0
    while True:
        tries += 1
        try:
            record_id = records.write_record(
                deps, actor_id=cast.p.clinician, client_id=cast.p.client,
                category=Category.PROGRESS_NOTE, text="Synthetic note after the failover",
            )  # fmt: skip
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return record_id, tries


def _server_port(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.inet_server_port())).scalar_one())


def _check_versions(engine: Engine, vault: Vault, client_id: str, acked: Acknowledged) -> None:
    with engine.connect() as c:
        key = KeysRepository(c).get(client_id)
        assert key is not None
        for record_id, version, text in acked.versions:
            ciphertext = c.execute(
                select(t.record_versions.c.ciphertext).where(
                    t.record_versions.c.record_id == record_id,
                    t.record_versions.c.version == version,
                )
            ).scalar_one_or_none()
            assert ciphertext is not None, f"acknowledged {record_id} v{version} was lost"
            binding = RecordBinding(client_id, record_id, Category.PROGRESS_NOTE.value, version)
            assert vault.open(key, ciphertext, binding).decode() == text


def _check_consents_reads_and_steps(engine: Engine, acked: Acknowledged) -> None:
    with engine.connect() as c:
        rows = c.execute(
            select(t.consents.c.id, t.consents.c.revoked_at).where(
                t.consents.c.id.in_(acked.granted)
            )
        ).all()
        revoked_at = {r.id: r.revoked_at for r in rows}
        assert set(revoked_at) == set(acked.granted), "an acknowledged consent was lost"
        assert all(revoked_at[i] is not None for i in acked.revoked), "a revocation was lost"
        logged = set(
            c.execute(
                select(t.audit_entries.c.request_id).where(
                    t.audit_entries.c.request_id.in_(acked.reads)
                )
            ).scalars()
        )
        assert logged == set(acked.reads), "an acknowledged read's audit entry was lost"
        states = dict(
            c.execute(
                select(t.disclosure_requests.c.id, t.disclosure_requests.c.state).where(
                    t.disclosure_requests.c.id.in_(list(acked.steps))
                )
            ).all()
        )
    assert set(states) == set(acked.steps), "an acknowledged disclosure request was lost"
    for request_id, state in acked.steps.items():
        # A later step may have committed without its answer reaching the writer; an earlier
        # state than the one acknowledged would be a lost step.
        stored = DisclosureState(states[request_id])
        assert STATE_ORDER.index(stored) >= STATE_ORDER.index(state), f"{request_id} went back"


def _check_log(engine: Engine, key: SigningKey, before: SignedCheckpoint) -> int:
    report = audit.verify_log(engine, key.public_key)
    assert report.breaks == []
    assert report.checkpoint_problems == []
    assert report.intact
    assert report.checkpoints >= 1
    latest = audit.latest_checkpoint(engine)
    assert latest is not None
    assert latest.size >= before.size
    return report.entries


def _chain_length(engine: Engine, chain_id: str) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                select(func.count())
                .select_from(t.audit_entries)
                .where(t.audit_entries.c.chain_id == chain_id)
            ).scalar_one()
        )


def _write_then_crash(
    primary: Cluster, writers: Writers, signing_key: SigningKey
) -> tuple[SignedCheckpoint, float]:
    """Writers at work, a checkpoint signed among them, then the primary crashes mid-write.

    Returns the checkpoint and the moment of the crash."""
    engine = writers.deps.engine
    writers.start()
    try:
        _wait_for(lambda: writers.acked.count() >= BEFORE_CHECKPOINT, WRITE_SECONDS_LIMIT, "writes")
        signed = audit.checkpoint(engine, signing_key, SystemClock())
        assert signed is not None
        _wait_for(lambda: writers.acked.count() >= BEFORE_CRASH, WRITE_SECONDS_LIMIT, "writes")
        assert writers.errors_before_crash == []
        # The premise: every commit acknowledged so far was flushed by the standby first.
        with primary.connect() as c:
            replication = c.execute(
                "SELECT application_name, sync_state, current_setting('synchronous_commit') "
                "FROM pg_stat_replication"
            ).fetchall()
        assert replication == [(STANDBY_NAME, "sync", "on")]
        writers.crashed.set()
        crashed_at = time.monotonic()
        primary.crash()
        writers.join(timeout=30)
    finally:
        writers.stop.set()
    assert writers.errors_before_crash == []
    # Every writer was at work when the primary went: its use case got an error, not an answer.
    assert sorted(writers.stopped_by_crash) == ["consents", "disclosures", "notes"]
    return signed, crashed_at


def _keeps_working(
    deps: Deps, cast: Cast, new_record: str, key: SigningKey, signed: SignedCheckpoint
) -> None:
    """On the new primary: a read (audited, so the chain grows), a checkpoint that extends the
    one signed before the failover, and a log that still verifies."""
    chain_before = _chain_length(deps.engine, cast.p.client)
    view = records.read_records(
        deps, actor_id=cast.p.clinician, client_id=cast.p.client,
        categories=frozenset({Category.PROGRESS_NOTE}), purpose=Purpose.TREAT,
    )  # fmt: skip
    assert new_record in {e.record_id for e in view.entries}
    assert _chain_length(deps.engine, cast.p.client) > chain_before
    extended = audit.checkpoint(deps.engine, key, SystemClock())
    assert extended is not None
    latest, proof = audit.prove_extension(deps.engine, signed.size)
    assert latest == extended
    assert merkle.verify_consistency(signed.size, latest.size, signed.root, latest.root, proof)
    assert audit.verify_log(deps.engine, key.public_key).intact


def test_failover_to_the_synchronous_standby_loses_nothing_acknowledged(
    pair: tuple[Cluster, Cluster],
) -> None:
    primary, standby = pair
    kek = LocalKek("kek-ha", secrets.token_bytes(32))
    vault = Vault(KeyRing({kek.kek_id: kek}, kek.kek_id))
    signing_key = SigningKey.generate()
    _create_database(primary)
    # confide's one database URL names both servers; libpq connects to the one taking writes.
    url = failover_url("confide", primary, standby)
    running = Deps(engine=make_engine(url), vault=vault, clock=SystemClock())
    try:
        upgrade(running.engine)
        assert _server_port(running.engine) == primary.port
        cast = _seed(running)
        writers = Writers(running, cast)
        signed, crashed_at = _write_then_crash(primary, writers, signing_key)
        standby.promote()
        promoted_at = time.monotonic()
        # The confide process that was running, its URL unchanged: the pool drops connections
        # the crash broke, and libpq passes over the dead primary to the promoted standby.
        new_record, tries = _first_write(running, cast)
        failover_seconds = time.monotonic() - crashed_at
    finally:
        running.engine.dispose()

    # confide started afresh on the same URL finds everything acknowledged on the new primary.
    after = Deps(engine=make_engine(url), vault=vault, clock=SystemClock())
    try:
        assert _server_port(after.engine) == standby.port
        acked = writers.acked
        _check_versions(after.engine, vault, cast.p.client, acked)
        _check_consents_reads_and_steps(after.engine, acked)
        entries = _check_log(after.engine, signing_key, signed)
        _keeps_working(after, cast, new_record, signing_key, signed)
    finally:
        after.engine.dispose()

    figures = {
        "acknowledged_writes": acked.count(),
        "versions": len(acked.versions),
        "consents_granted": len(acked.granted),
        "consents_revoked": len(acked.revoked),
        "reads": len(acked.reads),
        "disclosure_steps": sum(STATE_ORDER.index(s) + 1 for s in acked.steps.values()),
        "audit_entries_verified": entries,
        "promote_seconds": round(promoted_at - crashed_at, 3),
        "failover_seconds": round(failover_seconds, 3),
        "first_write_tries": tries,
    }
    print(json.dumps({"test": "ha_failover", **figures}))  # noqa: T201 - shown with -s
