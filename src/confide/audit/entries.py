"""Audit entries and their hash chains (decision 0011). Pure: no clock, no database.

Every entry belongs to one chain: its client's, or the system chain for events about no client.
An entry's hash is SHA-256 over a canonical, versioned, length-prefixed encoding of every field,
including its chain, its sequence number and the previous entry's hash; the first entry of a
chain links to a genesis hash derived from the chain's id. So changing any field, deleting,
inserting or reordering entries breaks the chain at the first entry touched, and an entry cannot
be moved to another chain or position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

SYSTEM_CHAIN = "system"
HASH_SIZE = 32
_VERSION = b"confide/audit-entry/v1"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited event: ids, codes and the decision's rules; never clinical text."""

    chain_id: str
    seq: int
    at: datetime
    request_id: str
    actor_id: str
    actor_role: str
    client_id: str | None
    action: str
    purpose: str | None
    categories: str
    permitted: str
    effect: str
    rule: str
    reasons: str
    record_id: str | None
    record_ids: str
    prev_hash: bytes
    entry_hash: bytes = b""

    def encode(self) -> bytes:
        """The canonical bytes this entry's hash covers (everything but the hash itself)."""
        fields: tuple[str | bytes, ...] = (
            _VERSION,
            self.chain_id,
            str(self.seq),
            _utc_text(self.at),
            self.request_id,
            self.actor_id,
            self.actor_role,
            _optional(self.client_id),
            self.action,
            _optional(self.purpose),
            self.categories,
            self.permitted,
            self.effect,
            self.rule,
            self.reasons,
            _optional(self.record_id),
            self.record_ids,
            self.prev_hash,
        )
        out = bytearray()
        for field in fields:
            data = field if isinstance(field, bytes) else field.encode()
            out += len(data).to_bytes(4, "big") + data
        return bytes(out)

    def computed_hash(self) -> bytes:
        """SHA-256 of the canonical encoding."""
        return hashlib.sha256(self.encode()).digest()


def genesis_hash(chain_id: str) -> bytes:
    """What the first entry of a chain links to: bound to the chain's id."""
    return hashlib.sha256(b"confide/audit-genesis/v1\x00" + chain_id.encode()).digest()


def head_leaf(chain_id: str, seq: int, entry_hash: bytes) -> bytes:
    """The bytes a checkpoint's Merkle leaf commits to: one chain's head at that moment."""
    chain = chain_id.encode()
    return (
        b"confide/audit-head/v1\x00"
        + len(chain).to_bytes(4, "big")
        + chain
        + seq.to_bytes(8, "big")
        + entry_hash
    )


class BreakKind(StrEnum):
    """How a chain broke; each names what an attacker did, as far as the chain can tell."""

    CHANGED = "changed"  # a field no longer matches the entry's stored hash
    MISSING = "missing"  # a sequence number is absent (deleted), or the chain starts late
    INSERTED_OR_REORDERED = "inserted_or_reordered"  # an entry does not link to the one before
    WRONG_CHAIN = "wrong_chain"  # an entry claims another chain
    TRUNCATED = "truncated"  # the chain ends before the head a signed checkpoint committed to
    NOT_IN_CHECKPOINT = "not_in_checkpoint"  # the entry at a committed head has another hash


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken entry of a chain, and how it broke."""

    chain_id: str
    seq: int
    kind: BreakKind
    detail: str

    def describe(self) -> str:
        """One line a person can act on."""
        return f"chain {self.chain_id}, entry {self.seq}: {self.kind.value} — {self.detail}"


def verify_chain(chain_id: str, entries: Iterable[AuditEntry]) -> Iterator[ChainBreak | int]:
    """Walk a chain in stored order; yield each verified sequence number, then stop at the first
    break (yielded as a ChainBreak). The caller checks the tail against a signed checkpoint."""
    expected_prev = genesis_hash(chain_id)
    expected_seq = 1
    for entry in entries:
        if entry.chain_id != chain_id:
            yield ChainBreak(
                chain_id, entry.seq, BreakKind.WRONG_CHAIN, "entry names another chain"
            )
            return
        if entry.seq != expected_seq:
            kind = (
                BreakKind.MISSING if entry.seq > expected_seq else BreakKind.INSERTED_OR_REORDERED
            )
            yield ChainBreak(
                chain_id,
                entry.seq,
                kind,
                f"expected entry {expected_seq} here, found entry {entry.seq}",
            )
            return
        if entry.computed_hash() != entry.entry_hash:
            yield ChainBreak(
                chain_id, entry.seq, BreakKind.CHANGED, "its fields do not match its hash"
            )
            return
        if entry.prev_hash != expected_prev:
            yield ChainBreak(
                chain_id,
                entry.seq,
                BreakKind.INSERTED_OR_REORDERED,
                "it does not link to the entry before it",
            )
            return
        expected_prev = entry.entry_hash
        expected_seq += 1
        yield entry.seq


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _optional(value: str | None) -> str:
    # None and "" must encode differently: a leading marker byte tells them apart.
    return "\x00" if value is None else "\x01" + value
