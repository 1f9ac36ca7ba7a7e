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
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

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
        return encode_fields(
            self.chain_id,
            self.seq,
            _utc_text(self.at),
            self.request_id,
            self.actor_id,
            self.actor_role,
            self.client_id,
            self.action,
            self.purpose,
            self.categories,
            self.permitted,
            self.effect,
            self.rule,
            self.reasons,
            self.record_id,
            self.record_ids,
            self.prev_hash,
        )

    def computed_hash(self) -> bytes:
        """SHA-256 of the canonical encoding."""
        return hashlib.sha256(self.encode()).digest()

    def link(self) -> ChainLink:
        """What the chain walk checks of this entry."""
        return ChainLink(
            self.chain_id, self.seq, self.prev_hash, self.entry_hash, self.computed_hash()
        )


class ChainLink(NamedTuple):
    """One entry as the chain walk sees it: where it claims to be, what it links to, the hash it
    stores and the hash its fields give."""

    chain_id: str
    seq: int
    prev_hash: bytes
    entry_hash: bytes
    computed_hash: bytes


# Every field is a 4-byte big-endian length and then its bytes; the prefixes of short fields are
# made once, since verification encodes every entry of the log.
_PREFIXES = tuple(n.to_bytes(4, "big") for n in range(4096))
_HEADER = len(_VERSION).to_bytes(4, "big") + _VERSION
_ABSENT = b"\x00"
_PRESENT = b"\x01"


def encode_fields(  # noqa: PLR0917 - the entry's fields, in their canonical order
    chain_id: str,
    seq: int,
    at_text: str,
    request_id: str,
    actor_id: str,
    actor_role: str,
    client_id: str | None,
    action: str,
    purpose: str | None,
    categories: str,
    permitted: str,
    effect: str,
    rule: str,
    reasons: str,
    record_id: str | None,
    record_ids: str,
    prev_hash: bytes,
) -> bytes:
    """The canonical encoding of an entry's fields, its time given as UTC ISO text with
    microseconds. Optional fields carry a marker byte, so None and "" encode differently."""
    parts = (
        chain_id.encode(),
        str(seq).encode(),
        at_text.encode(),
        request_id.encode(),
        actor_id.encode(),
        actor_role.encode(),
        _ABSENT if client_id is None else _PRESENT + client_id.encode(),
        action.encode(),
        _ABSENT if purpose is None else _PRESENT + purpose.encode(),
        categories.encode(),
        permitted.encode(),
        effect.encode(),
        rule.encode(),
        reasons.encode(),
        _ABSENT if record_id is None else _PRESENT + record_id.encode(),
        record_ids.encode(),
        bytes(prev_hash),
    )
    out = [_HEADER]
    prefixes = _PREFIXES
    for part in parts:
        size = len(part)
        out.append(prefixes[size] if size < 4096 else size.to_bytes(4, "big"))
        out.append(part)
    return b"".join(out)


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


@dataclass(frozen=True, slots=True)
class ChainWalk:
    """What walking one chain found: how many entries verified from the first, the first break
    if any, and the stored hashes at the sequence numbers the caller asked to keep."""

    verified: int
    broken: ChainBreak | None
    kept: dict[int, bytes]


def verify_chain(
    chain_id: str,
    links: Iterable[ChainLink],
    keep: Container[int] = frozenset(),
    *,
    after: tuple[int, bytes] | None = None,
) -> ChainWalk:
    """Walk a chain in stored order up to its first break. The caller checks the tail against
    a signed checkpoint, keeping the hashes at the sequence numbers the checkpoint holds.

    ``after`` (seq, entry hash) starts the walk after an entry verified before, instead of at
    the genesis: the links must then begin at the next seq and link to that hash. What came
    before is taken on trust (decision 0022); ``verified`` still counts from the first entry."""
    expected_prev = genesis_hash(chain_id) if after is None else after[1]
    expected_seq = 1 if after is None else after[0] + 1
    kept: dict[int, bytes] = {}
    for claimed_chain, seq, prev_hash, entry_hash, computed_hash in links:
        broken = None
        if claimed_chain != chain_id:
            broken = ChainBreak(chain_id, seq, BreakKind.WRONG_CHAIN, "entry names another chain")
        elif seq != expected_seq:
            kind = BreakKind.MISSING if seq > expected_seq else BreakKind.INSERTED_OR_REORDERED
            broken = ChainBreak(
                chain_id, seq, kind, f"expected entry {expected_seq} here, found entry {seq}"
            )
        elif computed_hash != entry_hash:
            broken = ChainBreak(
                chain_id, seq, BreakKind.CHANGED, "its fields do not match its hash"
            )
        elif prev_hash != expected_prev:
            broken = ChainBreak(
                chain_id,
                seq,
                BreakKind.INSERTED_OR_REORDERED,
                "it does not link to the entry before it",
            )
        if broken is not None:
            return ChainWalk(expected_seq - 1, broken, kept)
        if seq in keep:
            kept[seq] = entry_hash
        expected_prev = entry_hash
        expected_seq += 1
    return ChainWalk(expected_seq - 1, None, kept)


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")
