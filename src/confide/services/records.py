"""Writing, amending and reading records. Every read asks the decision engine first.

Each use case runs in one transaction: the decision's access event and the change (or the
read) commit together or not at all, and nothing is returned before its event is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from confide.domain import (
    AccessRequest,
    Action,
    Category,
    Decision,
    Effect,
    InvalidValue,
    Purpose,
    RuleId,
)
from confide.domain.validation import require_id
from confide.policy import Facts, decide
from confide.services.deps import Deps, new_id
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.events import log_event, refuse
from confide.store.access_log import AccessEvent
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository
from confide.store.records_repository import RecordsRepository, StoredVersion
from confide.vault import (
    DataKeyErased,
    IntegrityError,
    KeyUnavailable,
    RecordBinding,
    WrappedDataKey,
)

security_log = logging.getLogger("confide.security")
MAX_TEXT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    """One record, decrypted, as its reader may see it."""

    record_id: str
    category: Category
    version: int
    author_id: str
    recorded_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class RecordView:
    """What a read returned: the entries permitted, and the decision that says what was withheld."""

    entries: tuple[Entry, ...]
    decisions: tuple[Decision, ...]

    @property
    def withheld(self) -> frozenset[Category]:
        """Categories asked for and not permitted."""
        denied: set[Category] = set()
        for d in self.decisions:
            denied |= d.denied
        return frozenset(denied)


def write_record(
    deps: Deps,
    *,
    actor_id: str,
    client_id: str,
    category: Category,
    text: str,
    purpose: Purpose = Purpose.TREAT,
) -> str:
    """A new record, if the decision permits the actor to write this category now."""
    body = _validated_text(text)
    record_id = new_id("rec")
    with _failure_logged(deps, actor_id, client_id, record_id), deps.engine.begin() as c:
        facts = PracticeRepository(c).facts_for(client_id, actor_id)
        now = deps.clock.now()  # after the facts are read: a revocation they show has happened
        request = AccessRequest(
            actor_id,
            client_id,
            frozenset({category}),
            purpose,
            now,
            Action.WRITE,
            record_author_id=actor_id,
            request_id=new_id("req"),
        )
        key = _decide_or_deny(deps, c, request, facts, record_id)
        blob = deps.vault.seal(key, body, RecordBinding(client_id, record_id, category.value, 1))
        RecordsRepository(c).add(
            record_id=record_id,
            client_id=client_id,
            category=category,
            author_id=actor_id,
            at=now,
            ciphertext=blob,
        )
    return record_id


def amend_record(deps: Deps, *, actor_id: str, record_id: str, text: str) -> int:
    """A correction: a new version that keeps every earlier one (HIPAA 164.526).

    Two corrections racing for the same version: one lands, the other is a Conflict.
    """
    body = _validated_text(text)
    with _failure_logged(deps, actor_id, None, record_id), deps.engine.begin() as c:
        records = RecordsRepository(c)
        head = records.head(record_id)
        if head is None:
            _deny_unknown(deps, c, actor_id, deps.clock.now(), record_id)
        client_id, category, author_id, latest = head
        facts = PracticeRepository(c).facts_for(client_id, actor_id)
        now = deps.clock.now()
        request = AccessRequest(
            actor_id,
            client_id,
            frozenset({category}),
            Purpose.TREAT,
            now,
            Action.WRITE,
            record_author_id=author_id,
            request_id=new_id("req"),
        )
        key = _decide_or_deny(deps, c, request, facts, record_id)
        version = latest + 1
        blob = deps.vault.seal(
            key, body, RecordBinding(client_id, record_id, category.value, version)
        )
        records.add_version(
            category=category,
            record_id=record_id,
            version=version,
            author_id=actor_id,
            at=now,
            ciphertext=blob,
        )
    return version


def read_records(
    deps: Deps,
    *,
    actor_id: str,
    client_id: str,
    categories: frozenset[Category],
    purpose: Purpose,
) -> RecordView:
    """The latest version of each record the actor may see; the rest withheld, with reasons.

    Psychotherapy notes are asked for separately, as the asker's own notes, so the author rule
    (HIPAA 164.508(a)(2)(i)(A)) can apply; an authorization naming them opens all of them.
    Each decision is logged with the categories it permitted and the records returned under it.
    """
    with deps.engine.begin() as c:
        facts = PracticeRepository(c).facts_for(client_id, actor_id)
        now = deps.clock.now()  # after the facts are read: a revocation they show has happened
        asks = _split_requests(actor_id, client_id, categories, purpose, now)
        decisions = tuple(decide(r, facts, deps.policy) for r in asks)
        key = KeysRepository(c).get(client_id)
        permitted = key is not None and any(d.is_permit for d in decisions)
        found = [
            _permitted_versions(RecordsRepository(c), client_id, actor_id, d) if permitted else []
            for d in decisions
        ]
        for request, decision, versions in zip(asks, decisions, found, strict=True):
            record_ids = tuple(v.record_id for v in versions)
            _log_decision(deps, c, request, decision, record_ids=record_ids)
        if key is None or not permitted:
            refuse(c)
        stored = sorted((v for vs in found for v in vs), key=lambda v: (v.recorded_at, v.record_id))
        entries = tuple(open_version(deps, c, actor_id, key, v) for v in stored)
    return RecordView(entries, decisions)


def read_record(
    deps: Deps, *, actor_id: str, record_id: str, purpose: Purpose = Purpose.TREAT
) -> tuple[str, Entry]:
    """(client id, latest version) of one record, decided for its category alone: opening
    one entry (to correct it, say) reads nothing else of the record (HIPAA 164.502(b), minimum
    necessary), and the client's history shows just that. A record that does not exist and one
    the actor may not read are refused alike (NotFoundOrDenied)."""
    require_id(record_id, "record_id")
    with deps.engine.begin() as c:
        records = RecordsRepository(c)
        head = records.head(record_id)
        if head is None:
            _deny_unknown(deps, c, actor_id, deps.clock.now(), record_id, action="read")
        client_id, category, author_id, _latest = head
        facts = PracticeRepository(c).facts_for(client_id, actor_id)
        now = deps.clock.now()
        request = AccessRequest(
            actor_id, client_id, frozenset({category}), purpose, now,
            record_author_id=author_id, request_id=new_id("req"),
        )  # fmt: skip
        key = _decide_or_deny(deps, c, request, facts, record_id)
        found = records.latest(client_id, frozenset({category}), author_id=author_id)
        stored = next(v for v in found if v.record_id == record_id)
        return client_id, open_version(deps, c, actor_id, key, stored)


def _split_requests(
    actor_id: str,
    client_id: str,
    categories: frozenset[Category],
    purpose: Purpose,
    now: datetime,
) -> list[AccessRequest]:
    asks = []
    routine = categories - {Category.PSYCHOTHERAPY_NOTE}
    if routine:
        asks.append(
            AccessRequest(actor_id, client_id, routine, purpose, now, request_id=new_id("req"))
        )
    if Category.PSYCHOTHERAPY_NOTE in categories:
        asks.append(
            AccessRequest(
                actor_id,
                client_id,
                frozenset({Category.PSYCHOTHERAPY_NOTE}),
                purpose,
                now,
                record_author_id=actor_id,
                request_id=new_id("req"),
            )
        )
    if not asks:
        raise InvalidValue("categories", "must name at least one category")
    return asks


def _permitted_versions(
    records: RecordsRepository, client_id: str, actor_id: str, decision: Decision
) -> list[StoredVersion]:
    out: list[StoredVersion] = []
    for outcome in decision.outcomes:
        if outcome.effect is not Effect.PERMIT:
            continue
        own_only = outcome.rule_id is RuleId.PSYCHOTHERAPY_NOTE_AUTHOR
        out += records.latest(
            client_id, frozenset({outcome.category}), author_id=actor_id if own_only else None
        )
    return out


def open_version(
    deps: Deps, c: Connection, actor_id: str, key: WrappedDataKey, v: StoredVersion
) -> Entry:
    """Decrypt one version for ``actor_id``; an integrity failure or an erased key is logged
    and committed before it is raised, and nothing of the record is returned."""
    binding = RecordBinding(v.client_id, v.record_id, v.category.value, v.version)
    try:
        text = deps.vault.open(key, v.ciphertext, binding).decode()
    except IntegrityError:
        # A security event: ids only, never content. The read's decisions stay on record with
        # it; nothing of the read is returned.
        security_log.error("integrity failure on record %s version %d", v.record_id, v.version)
        _log_fault(deps, c, actor_id, v.client_id, "read", v.record_id, "security.integrity")
        c.commit()
        raise
    except DataKeyErased:
        _log_fault(deps, c, actor_id, v.client_id, "read", v.record_id, "vault.key_erased")
        c.commit()
        raise
    except KeyUnavailable:
        # The key file cannot be read (after a rotation, say): the read stays on record, with
        # the fault, and nothing of it is returned (decision 0020).
        _log_fault(deps, c, actor_id, v.client_id, "read", v.record_id, "security.key_unavailable")
        c.commit()
        raise
    return Entry(v.record_id, v.category, v.version, v.version_author_id, v.recorded_at, text)


def _decide_or_deny(
    deps: Deps, c: Connection, request: AccessRequest, facts: Facts, record_id: str
) -> WrappedDataKey:
    decision = decide(request, facts, deps.policy)
    _log_decision(deps, c, request, decision, record_id=record_id)
    key = KeysRepository(c).get(request.client_id)
    if not decision.is_permit or decision.denied or key is None:
        refuse(c)
    return key


def _deny_unknown(
    deps: Deps,
    c: Connection,
    actor_id: str,
    now: datetime,
    record_id: str,
    *,
    action: str = "write",
) -> NoReturn:
    log_event(
        deps,
        c,
        at=now,
        by=actor_id,
        client_id=None,
        action=action,
        effect="deny",
        rule="deny.unknown_record",
        record_id=record_id,
    )
    refuse(c)


def _log_decision(
    deps: Deps,
    c: Connection,
    request: AccessRequest,
    decision: Decision,
    *,
    record_id: str | None = None,
    record_ids: tuple[str, ...] = (),
) -> None:
    deps.access_log.append(
        c,
        AccessEvent(
            at=request.at,
            request_id=request.request_id or new_id("req"),
            actor_id=request.actor_id,
            client_id=request.client_id,
            action=request.action.value,
            purpose=request.purpose,
            categories=request.categories,
            effect=decision.effect.value,
            rule=decision.rule_id.value,
            record_id=record_id,
            permitted=decision.permitted,
            record_ids=record_ids,
            reasons=tuple(f"{o.category.value}={o.rule_id.value}" for o in decision.outcomes),
        ),
    )


def _log_fault(  # noqa: PLR0917 - the ids of one event
    deps: Deps,
    c: Connection,
    actor_id: str,
    client_id: str | None,
    action: str,
    record_id: str,
    rule: str,
) -> None:
    log_event(
        deps,
        c,
        at=deps.clock.now(),
        by=actor_id,
        client_id=client_id,
        action=action,
        effect="error",
        rule=rule,
        record_id=record_id,
    )


@contextmanager
def _failure_logged(
    deps: Deps, actor_id: str, client_id: str | None, record_id: str
) -> Iterator[None]:
    """A write that fails after its decision rolls back, event and all; say that it failed.

    The failure is logged in a transaction of its own, with ids only. A refusal is not a
    failure: its event is already committed. A lost race for a version is a Conflict.
    """
    try:
        yield
    except (NotFoundOrDenied, InvalidValue):
        raise
    except DatabaseIntegrityError:
        _fault_in_own_transaction(deps, actor_id, client_id, record_id, "write.conflict")
        raise Conflict(
            f"record {record_id} changed while this write was being made; read it again and retry"
        ) from None
    except Exception:
        _fault_in_own_transaction(deps, actor_id, client_id, record_id, "write.failed")
        raise


def _fault_in_own_transaction(
    deps: Deps, actor_id: str, client_id: str | None, record_id: str, rule: str
) -> None:
    try:
        with deps.engine.begin() as c:
            _log_fault(deps, c, actor_id, client_id, "write", record_id, rule)
    except Exception:  # the database itself is failing: the original error is what matters
        security_log.exception("could not log a failed write of record %s", record_id)


def _validated_text(text: str) -> bytes:
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue("text", "must be non-empty text")
    body = text.encode()
    if len(body) > MAX_TEXT_BYTES:
        raise InvalidValue("text", f"must be at most {MAX_TEXT_BYTES // 1024} KiB")
    return body
