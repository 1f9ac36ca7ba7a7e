"""A writer process of the crash harness: one role, in a loop, until it is killed.

Run as ``python -m tests.resilience.writer ROLE CAST_FILE SEED`` (or ``serve CAST_FILE``, which
forks such writers on request from one process that imported everything once). ROLE is one of

- ``note``: the treating clinician writes new progress notes and corrects existing ones;
- ``consent``: each client grants consents to another clinic and revokes them;
- ``read``: a second treating clinician reads progress notes and diagnoses (every read audited);
- ``disclosure``: a duty-to-warn request opened, submitted, approved by the supervisor and
  released, one step per transaction.

Before each use case the writer prints ``b``; after its transaction committed it prints one
JSON acknowledgement (``{"kind": ..., ...}``); when the database did not answer in time,
``busy``. A line is written whole with one ``write`` call, so the controller sees every
acknowledgement flushed before a kill, and only those. Clients are picked with a bias to the
first, so most writers contend for one client's audit chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from confide.domain import Category, Consent, InvalidValue, Period, Purpose
from confide.services import consents, disclosures, records
from confide.services.deps import Deps, SystemClock
from confide.services.disclosures import DisclosureAsk
from confide.services.errors import Conflict
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.vault import Vault, load_key_file

ROLES = ("note", "consent", "read", "disclosure")
NOTES_PER_CLIENT = 40
ANSWER_DELAY = random.Random()
NOTE_TEXT = "Synthetic crash-harness note {}"
CORRECTION_TEXT = "Synthetic crash-harness correction {}"
JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."
READ_CATEGORIES = frozenset({Category.PROGRESS_NOTE, Category.DIAGNOSIS})
# The disclosure steps in order, and who takes each: the requester, then a second person.
NEXT_STEP = {"draft": "submit", "submitted": "approve", "approved": "disclose"}


def _state_engine(cast: dict[str, Any]) -> Engine:
    """An engine for loading a writer's state at its start. On SQLite, not confide's own:
    that one begins every transaction with the write lock, and a start that waits for the
    lock behind three busy writers would measure SQLite's fairness, not a restart."""
    return create_engine(cast["url"], poolclass=NullPool, hide_parameters=True)


def acknowledge(**fields: object) -> None:
    """One line, one ``write``: the controller reads whole lines only.

    Now and then the answer takes a moment after the commit (as an answer on its way over a
    network would), so that some kills land between a commit and its acknowledgement."""
    if fields["kind"] != "ready" and ANSWER_DELAY.random() < 0.1:
        time.sleep(ANSWER_DELAY.uniform(0, 0.02))
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def begin() -> None:
    """Mark the start of a use case, so a kill can be told to have landed inside one."""
    sys.stdout.write("b\n")
    sys.stdout.flush()


def read_digest(record_ids: list[str]) -> str:
    """What identifies a read's result: the records it returned, in any order."""
    return hashlib.sha256(",".join(sorted(record_ids)).encode()).hexdigest()[:32]


class Writer:
    """The state one writer keeps between use cases; reloaded from the store at each start."""

    def __init__(self, deps: Deps, cast: dict[str, Any], rng: random.Random) -> None:
        self.deps = deps
        self.cast = cast
        self.rng = rng
        self.clients: list[str] = cast["clients"]

    def client(self) -> str:
        """Half of the work is on the first client: one chain, hard contended."""
        return self.clients[0] if self.rng.random() < 0.5 else self.rng.choice(self.clients)

    def tag(self) -> str:
        """A fresh synthetic tag for a note's text."""
        return secrets.token_hex(6)


class NoteWriter(Writer):
    """New progress notes, up to ``NOTES_PER_CLIENT`` a client, and corrections of them."""

    def __init__(self, deps: Deps, cast: dict[str, Any], rng: random.Random) -> None:
        super().__init__(deps, cast, rng)
        self.notes: dict[str, list[str]] = {client: [] for client in self.clients}
        with _state_engine(cast).connect() as c:
            rows = c.execute(
                select(t.records.c.id, t.records.c.client_id).where(
                    t.records.c.client_id.in_(self.clients),
                    t.records.c.category == Category.PROGRESS_NOTE.value,
                )
            )
            for r in rows:
                self.notes[r.client_id].append(r.id)

    def step(self) -> None:
        """Write a note, or, once the client has enough, correct one (a new version)."""
        client_id = self.client()
        notes = self.notes[client_id]
        # Every read returns every note of the client: a bounded number of notes keeps a read
        # (and its audit entry, which lists them) the same size all run long.
        if len(notes) >= NOTES_PER_CLIENT or self.rng.random() < 0.3:
            record_id = self.rng.choice(notes)
            text = CORRECTION_TEXT.format(self.tag())
            begin()
            try:
                version = records.amend_record(
                    self.deps, actor_id=self.cast["clinician"], record_id=record_id, text=text
                )
            except Conflict:  # another note writer corrected it first: not acknowledged
                return
            acknowledge(kind="note", record=record_id, client=client_id, version=version, text=text)
            return
        text = NOTE_TEXT.format(self.tag())
        begin()
        record_id = records.write_record(
            self.deps,
            actor_id=self.cast["clinician"],
            client_id=client_id,
            category=Category.PROGRESS_NOTE,
            text=text,
        )
        notes.append(record_id)
        acknowledge(kind="note", record=record_id, client=client_id, version=1, text=text)


class ConsentWriter(Writer):
    """Each client grants a consent to another clinic, and revokes consents in force."""

    def __init__(self, deps: Deps, cast: dict[str, Any], rng: random.Random) -> None:
        super().__init__(deps, cast, rng)
        with _state_engine(cast).connect() as c:
            rows = c.execute(
                select(t.consents.c.id, t.consents.c.client_id).where(
                    t.consents.c.client_id.in_(self.clients), t.consents.c.revoked_at.is_(None)
                )
            )
            self.in_force: list[tuple[str, str]] = [(r.id, r.client_id) for r in rows]

    def step(self) -> None:
        """Revoke a consent in force, or grant a new one."""
        if self.in_force and self.rng.random() < 0.45:
            consent_id, client_id = self.in_force.pop(self.rng.randrange(len(self.in_force)))
            begin()
            try:
                consents.revoke_consent(self.deps, consent_id, by=client_id)
            except Conflict:  # revoked by another consent writer: not acknowledged
                return
            acknowledge(kind="revoke", consent=consent_id, client=client_id)
            return
        client_id = self.client()
        consent = Consent(
            f"consent-{secrets.token_hex(10)}",
            client_id,
            self.cast["other_clinic"],
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(datetime.now(UTC)),
        )
        begin()
        consents.grant_consent(self.deps, consent, by=client_id)
        self.in_force.append((consent.id, client_id))
        acknowledge(kind="grant", consent=consent.id, client=client_id)


class ReadWriter(Writer):
    """Audited reads: each read's access event is a write that must survive."""

    def step(self) -> None:
        """Read a client's progress notes and diagnoses as the second treating clinician."""
        client_id = self.client()
        begin()
        view = records.read_records(
            self.deps,
            actor_id=self.cast["reader"],
            client_id=client_id,
            categories=READ_CATEGORIES,
            purpose=Purpose.TREAT,
        )
        ids = [e.record_id for e in view.entries]
        acknowledge(kind="read", client=client_id, records=read_digest(ids), count=len(ids))


class DisclosureWriter(Writer):
    """Duty-to-warn requests carried from draft to released, one step per transaction."""

    def __init__(self, deps: Deps, cast: dict[str, Any], rng: random.Random) -> None:
        super().__init__(deps, cast, rng)
        d = t.disclosure_requests.c
        with _state_engine(cast).connect() as c:
            rows = c.execute(
                select(d.id, d.client_id, d.state).where(
                    d.client_id.in_(self.clients), d.state.in_(list(NEXT_STEP))
                )
            )
            self.open: dict[str, str] = {r.id: r.state for r in rows}

    def step(self) -> None:
        """Take the next step of an unfinished request, or open a new one."""
        if self.open and self.rng.random() < 0.75:
            request_id = self.rng.choice(sorted(self.open))
            self._advance(request_id, self.open.pop(request_id))
            return
        client_id = self.client()
        ask = DisclosureAsk(
            client_id=client_id,
            ground="imminent_risk_others",
            recipient_id=self.cast["police"],
            recipient_kind="law_enforcement",
            categories=frozenset({Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}),
            justification=JUSTIFICATION,
        )
        begin()
        opened = disclosures.open_request(self.deps, ask, by=self.cast["clinician"])
        self.open[opened.id] = opened.state.value
        acknowledge(
            kind="disclosure",
            request=opened.id,
            client=client_id,
            state=opened.state.value,
            revision=opened.revision,
        )

    def _advance(self, request_id: str, state: str) -> None:
        cast, deps = self.cast, self.deps
        steps: dict[str, Callable[[], Any]] = {
            "submit": lambda: disclosures.submit_request(deps, request_id, by=cast["clinician"]),
            "approve": lambda: disclosures.approve_request(deps, request_id, by=cast["supervisor"]),
            "disclose": lambda: disclosures.disclose(deps, request_id, by=cast["clinician"])[0],
        }
        begin()
        try:
            request = steps[NEXT_STEP[state]]()
        except (Conflict, InvalidValue):  # another disclosure writer took this step first
            return
        if request.state.value in NEXT_STEP:
            self.open[request.id] = request.state.value
        acknowledge(
            kind="disclosure",
            request=request.id,
            client=request.client_id,
            state=request.state.value,
            revision=request.revision,
        )


WRITERS: dict[str, type[NoteWriter | ConsentWriter | ReadWriter | DisclosureWriter]] = {
    "note": NoteWriter,
    "consent": ConsentWriter,
    "read": ReadWriter,
    "disclosure": DisclosureWriter,
}


def run(role: str, cast_file: str, seed: str) -> None:
    """Open the store as a fresh process would, say ``ready``, then work until killed."""
    cast = json.loads(Path(cast_file).read_text())
    deps = Deps(
        make_engine(cast["url"]), Vault(load_key_file(Path(cast["key_file"]))), SystemClock()
    )
    rng = random.Random(seed)
    ANSWER_DELAY.seed(f"{seed}-answer")  # forked lives must not share one sequence
    while True:
        try:
            writer = WRITERS[role](deps, cast, rng)
            break
        except OperationalError:
            busy()
    acknowledge(kind="ready")
    while True:
        try:
            writer.step()
        except OperationalError:
            busy()


def busy() -> None:
    """The database did not answer in time (on SQLite, the busy timeout passed while other
    writers held the lock): the transaction rolled back, nothing was acknowledged."""
    sys.stdout.write("busy\n")
    sys.stdout.flush()


def serve(cast_file: str) -> None:
    """Fork writer lives on request, everything imported once (no engine, no connection yet).

    Commands on stdin: ``fork ROLE SEED FIFO`` starts a life writing to FIFO and answers its
    pid; ``reap PID`` collects a life the controller has killed (until then its pid cannot be
    reused, so the controller never signals a stranger)."""
    # The database driver is imported when an engine is first made: make one (it never
    # connects) so that each life starts with its driver already imported.
    make_engine(json.loads(Path(cast_file).read_text())["url"]).dispose()
    for line in sys.stdin:
        command, *args = line.split()
        if command == "reap":
            os.waitpid(int(args[0]), 0)
            continue
        role, seed, fifo = args
        pid = os.fork()
        if pid == 0:  # the life: its own stdout, its own engine
            try:
                out = os.open(fifo, os.O_WRONLY)
                os.dup2(out, 1)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                run(role, cast_file, seed)
            except BaseException:  # a writer's own failure: the controller counts it
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(1)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def main(argv: list[str]) -> None:
    """``ROLE CAST_FILE SEED`` runs one writer; ``serve CAST_FILE`` forks writers on request."""
    if argv[0] == "serve":
        serve(argv[1])
    else:
        run(*argv)


if __name__ == "__main__":
    main(sys.argv[1:])
