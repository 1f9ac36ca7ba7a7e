"""Checkpointing and verifying the audit log (decision 0011).

A checkpoint appends one Merkle leaf for each chain whose head moved since the last checkpoint,
then signs the RFC 6962 root over every leaf so far. Verification walks every chain, recomputes
every checkpoint's root from the stored leaves, checks each signature with the public key alone,
and checks that every head a checkpoint committed to is still in its chain. It names the first
broken entry of each chain and how it broke.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    type_coerce,
)

from confide.audit import merkle
from confide.audit.entries import (
    BreakKind,
    ChainBreak,
    ChainLink,
    encode_fields,
    head_leaf,
    verify_chain,
)
from confide.audit.signing import SignedCheckpoint, SigningKey, VerifyKey
from confide.services.deps import Clock, new_id
from confide.store import schema as t
from confide.store.access_log import AccessEvent, ChainedAuditLog

ORIGIN = "confide-audit-log"
security_log = logging.getLogger("confide.security")
Progress = Callable[[int, int], None]
_CHECKPOINT_LOCK = int.from_bytes(hashlib.sha256(b"confide-checkpoint").digest()[:8], "big") >> 1


def checkpoint(engine: Engine, key: SigningKey, clock: Clock) -> SignedCheckpoint | None:
    """Commit to every chain head now; None when no chain moved since the last checkpoint."""
    with engine.begin() as c:
        if c.dialect.name == "postgresql":
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHECKPOINT_LOCK})
        committed = _committed_heads(c)
        moved = [
            (chain, seq, digest)
            for chain, seq, digest in _current_heads(c)
            if committed.get(chain, (0, b""))[0] < seq
        ]
        size = c.execute(select(func.count()).select_from(t.audit_heads)).scalar_one()
        if not moved:
            return None
        c.execute(
            insert(t.audit_heads),
            [
                {"leaf_index": size + n, "chain_id": chain, "seq": seq, "entry_hash": digest}
                for n, (chain, seq, digest) in enumerate(moved)
            ],
        )
        leaves = _leaf_hashes(c)
        signed = SignedCheckpoint.sign(key, ORIGIN, len(leaves), merkle.root(leaves), clock.now())
        c.execute(
            insert(t.audit_checkpoints).values(
                tree_size=signed.size,
                origin=signed.origin,
                root=signed.root,
                issued_at=signed.issued_at,
                key_id=signed.key_id,
                signature=signed.signature,
            )
        )
    return signed


def latest_checkpoint(engine: Engine) -> SignedCheckpoint | None:
    """The most recent signed checkpoint, for export."""
    with engine.connect() as c:
        row = c.execute(
            select(t.audit_checkpoints).order_by(t.audit_checkpoints.c.tree_size.desc()).limit(1)
        ).first()
    return None if row is None else _checkpoint(row)


@dataclass(frozen=True, slots=True)
class HeadProof:
    """That a chain's head is in a signed checkpoint: an RFC 6962 inclusion proof."""

    chain_id: str
    seq: int
    entry_hash: bytes
    leaf_index: int
    proof: tuple[bytes, ...]
    checkpoint: SignedCheckpoint

    def verify(self, verify_key: VerifyKey) -> bool:
        """Checks the checkpoint's signature and the proof, with the public key alone."""
        leaf = merkle.leaf_hash(head_leaf(self.chain_id, self.seq, self.entry_hash))
        return self.checkpoint.verify(verify_key) and merkle.verify_inclusion(
            leaf, self.leaf_index, self.checkpoint.size, self.proof, self.checkpoint.root
        )


def prove_head(engine: Engine, chain_id: str) -> HeadProof | None:
    """An inclusion proof of the chain's last committed head in the latest checkpoint."""
    signed = latest_checkpoint(engine)
    if signed is None:
        return None
    with engine.connect() as c:
        row = c.execute(
            select(t.audit_heads)
            .where(t.audit_heads.c.chain_id == chain_id, t.audit_heads.c.leaf_index < signed.size)
            .order_by(t.audit_heads.c.leaf_index.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        leaves = _leaf_hashes(c)[: signed.size]
    proof = merkle.inclusion_proof(row.leaf_index, leaves)
    return HeadProof(chain_id, row.seq, row.entry_hash, row.leaf_index, tuple(proof), signed)


def prove_extension(engine: Engine, old_size: int) -> tuple[SignedCheckpoint, list[bytes]]:
    """A consistency proof that the latest checkpoint extends the one of ``old_size`` leaves."""
    signed = latest_checkpoint(engine)
    if signed is None:
        raise LookupError("no checkpoint has been signed yet")
    with engine.connect() as c:
        leaves = _leaf_hashes(c)[: signed.size]
    return signed, merkle.consistency_proof(old_size, leaves)


@dataclass
class VerifyReport:
    """What verification found."""

    chains: int = 0
    entries: int = 0
    checkpoints: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    checkpoint_problems: list[str] = field(default_factory=list)
    state: str = "ok"  # "ok", "empty", "not_migrated"

    @property
    def intact(self) -> bool:
        """No break and no bad checkpoint."""
        return not self.breaks and not self.checkpoint_problems and self.state != "not_migrated"


def verify_log(
    engine: Engine, verify_key: VerifyKey | None, *, progress: Progress | None = None
) -> VerifyReport:
    """Verify every chain and checkpoint. Without a public key, signatures cannot be checked,
    and the report says so."""
    report = VerifyReport()
    names = set(inspect(engine).get_table_names())
    if not {"audit_entries", "audit_heads", "audit_checkpoints"} <= names:
        report.state = "not_migrated"
        return report
    with engine.connect() as c:
        total = c.execute(select(func.count()).select_from(t.audit_entries)).scalar_one()
        committed = _verify_checkpoints(c, verify_key, report)
        if total == 0 and not committed:
            report.state = "empty"
            return report
        rows = c.execution_options(stream_results=True, yield_per=5000).execute(
            entries_in_chain_order(c.dialect.name)
        )
        entries = chain_links(rows)
        seen_chains: set[str] = set()
        for chain_id, chain in itertools.groupby(entries, key=_chain_of):
            seen_chains.add(chain_id)
            report.chains += 1
            _verify_one_chain(chain_id, chain, committed.get(chain_id, {}), report)
            if progress is not None:
                progress(report.entries, total)
        for chain_id in sorted(set(committed) - seen_chains):
            report.breaks.append(
                ChainBreak(
                    chain_id,
                    1,
                    BreakKind.TRUNCATED,
                    "a signed checkpoint holds this chain; every entry of it is gone",
                )
            )
    return report


def entries_in_chain_order(dialect: str) -> Select[Any]:
    """Every entry's fields as stored, in chain order, its time as the UTC text the hash covers.

    The database formats the time (SQLite keeps it as text already), so verification neither
    parses nor re-formats a datetime per entry: an entry whose stored time is not exactly the
    text its hash covers is reported as changed."""
    e = t.audit_entries.c
    stored_at = type_coerce(e.at, String())
    if dialect == "postgresql":
        at_text = func.to_char(
            func.timezone("UTC", e.at), literal('YYYY-MM-DD"T"HH24:MI:SS.US')
        ).concat("+00:00")
    else:
        at_text = (
            func.substr(stored_at, 1, 10).concat("T").concat(func.substr(stored_at, 12))
        ).concat("+00:00")
    # In encode_fields' order, the stored hash last.
    return select(
        e.chain_id,
        e.seq,
        at_text,
        e.request_id,
        e.actor_id,
        e.actor_role,
        e.client_id,
        e.action,
        e.purpose,
        e.categories,
        e.permitted,
        e.effect,
        e.rule,
        e.reasons,
        e.record_id,
        e.record_ids,
        e.prev_hash,
        e.entry_hash,
    ).order_by(e.chain_id, e.seq)


def chain_links(rows: Iterable[Any]) -> Iterator[ChainLink]:
    """Each stored entry as the chain walk sees it: the hash its stored fields give."""
    sha256 = hashlib.sha256
    for row in rows:
        *fields, entry_hash = row
        try:
            computed = sha256(encode_fields(*fields)).digest()
        except (AttributeError, TypeError, ValueError, OverflowError):
            computed = b""  # a field of the wrong type (possible on SQLite) is a change too
        yield ChainLink(row[0], row[1], bytes(row[16]), bytes(entry_hash), computed)


def _chain_of(link: ChainLink) -> str:
    return link.chain_id


def _verify_one_chain(
    chain_id: str, chain: Iterator[ChainLink], heads: dict[int, bytes], report: VerifyReport
) -> None:
    walk = verify_chain(chain_id, chain, keep=heads)
    report.entries += walk.verified
    if walk.broken is not None:
        report.breaks.append(walk.broken)
        return
    last = walk.verified
    for seq, digest in sorted(heads.items()):
        if seq > last:
            report.breaks.append(
                ChainBreak(
                    chain_id,
                    last + 1,
                    BreakKind.TRUNCATED,
                    f"the chain ends at entry {last} but a signed checkpoint holds entry {seq}",
                )
            )
            return
        if walk.kept.get(seq) != digest:
            report.breaks.append(
                ChainBreak(
                    chain_id,
                    seq,
                    BreakKind.NOT_IN_CHECKPOINT,
                    "this entry is not the one a signed checkpoint committed to (rewritten)",
                )
            )
            return


def _verify_checkpoints(
    c: Connection, verify_key: VerifyKey | None, report: VerifyReport
) -> dict[str, dict[int, bytes]]:
    """Check every checkpoint; return the heads committed by the valid ones, per chain."""
    heads = list(c.execute(select(t.audit_heads).order_by(t.audit_heads.c.leaf_index)))
    leaves: list[bytes] = []
    for expected, row in enumerate(heads):
        if row.leaf_index != expected:
            report.checkpoint_problems.append(
                f"checkpoint leaf {expected} is missing (leaves deleted or renumbered)"
            )
            break
        leaves.append(merkle.leaf_hash(head_leaf(row.chain_id, row.seq, row.entry_hash)))
    trusted = 0
    for row in c.execute(select(t.audit_checkpoints).order_by(t.audit_checkpoints.c.tree_size)):
        report.checkpoints += 1
        signed = _checkpoint(row)
        where = f"checkpoint of size {signed.size} issued {signed.issued_at:%Y-%m-%d %H:%M}"
        if verify_key is not None and not signed.verify(verify_key):
            report.checkpoint_problems.append(f"{where}: the signature is not valid (forged)")
            continue
        if signed.size > len(leaves) or merkle.root(leaves[: signed.size]) != signed.root:
            report.checkpoint_problems.append(
                f"{where}: its leaves no longer give its signed root (leaves altered)"
            )
            continue
        trusted = max(trusted, signed.size)
    if verify_key is None:
        report.checkpoint_problems.append(
            "no public key was given: checkpoint signatures were not checked"
        )
    committed: dict[str, dict[int, bytes]] = {}
    for row in heads[:trusted]:
        committed.setdefault(row.chain_id, {})[row.seq] = row.entry_hash
    return committed


def _current_heads(c: Connection) -> list[tuple[str, int, bytes]]:
    last = (
        select(t.audit_entries.c.chain_id, func.max(t.audit_entries.c.seq).label("seq"))
        .group_by(t.audit_entries.c.chain_id)
        .subquery()
    )
    rows = c.execute(
        select(t.audit_entries.c.chain_id, t.audit_entries.c.seq, t.audit_entries.c.entry_hash)
        .join(
            last,
            (t.audit_entries.c.chain_id == last.c.chain_id) & (t.audit_entries.c.seq == last.c.seq),
        )
        .order_by(t.audit_entries.c.chain_id)
    )
    return [(r.chain_id, r.seq, r.entry_hash) for r in rows]


def _committed_heads(c: Connection) -> dict[str, tuple[int, bytes]]:
    out: dict[str, tuple[int, bytes]] = {}
    for r in c.execute(select(t.audit_heads).order_by(t.audit_heads.c.leaf_index)):
        out[r.chain_id] = (r.seq, r.entry_hash)
    return out


def _leaf_hashes(c: Connection) -> list[bytes]:
    rows = c.execute(select(t.audit_heads).order_by(t.audit_heads.c.leaf_index))
    return [merkle.leaf_hash(head_leaf(r.chain_id, r.seq, r.entry_hash)) for r in rows]


def _checkpoint(row: object) -> SignedCheckpoint:
    r = row._mapping  # type: ignore[attr-defined]
    return SignedCheckpoint(
        r["origin"], r["tree_size"], r["root"], r["issued_at"], r["key_id"], r["signature"]
    )


def log_security_event(engine: Engine, clock: Clock, *, rule: str, actor_id: str) -> None:
    """Put a security event on the system chain, in its own transaction (ids and codes only)."""
    security_log.error("security event %s", rule)
    log_system_event(engine, clock, action="audit", effect="error", rule=rule, actor_id=actor_id)


def log_system_event(
    engine: Engine, clock: Clock, *, action: str, effect: str, rule: str, actor_id: str
) -> None:
    """Append an event about no client (a key operation, a checkpoint failure) to the system
    chain, in its own transaction."""
    with engine.begin() as c:
        ChainedAuditLog().append(
            c,
            AccessEvent(
                clock.now(), new_id("req"), actor_id, None, action, None, frozenset(), effect, rule
            ),
        )
