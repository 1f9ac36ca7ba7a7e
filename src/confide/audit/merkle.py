"""RFC 6962 Merkle hash trees (section 2.1): tree heads, inclusion and consistency proofs.

The tree is the one Certificate Transparency uses (RFC 6962 §2.1, restated in RFC 9162 §2.1):
SHA-256, a leaf hashed as ``SHA-256(0x00 ‖ data)``, an interior node as
``SHA-256(0x01 ‖ left ‖ right)``, and a tree of ``n`` leaves split so that its left subtree holds
the largest power of two strictly smaller than ``n``. The two prefixes keep a leaf from ever
passing for an interior node (second-preimage resistance).

The generators take the leaf hashes of the whole tree and refuse bad arguments with
:class:`InvalidValue`. The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 and never raise: any
malformed input (a hash that is not 32 bytes, an index or a size out of range, a proof node too
many or too few) is simply a proof that does not verify.

A consistency proof from the empty tree (``old_size == 0``) is never accepted. RFC 6962 defines
PROOF(m, D[n]) for ``0 < m < n`` only; an empty tree commits to nothing, so there is nothing to
prove, and the RFC 6962 test vectors of transparency-dev/merkle expect such a proof to be
rejected. A log's first checkpoint is taken on trust; every later one is proved against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from confide.domain.errors import InvalidValue

HASH_BYTES = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}), the head of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1)."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d), the hash of one leaf (RFC 6962 §2.1)."""
    digest = hashlib.sha256(_LEAF_PREFIX)
    digest.update(data)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right), the hash of an interior node (RFC 6962 §2.1)."""
    digest = hashlib.sha256(_NODE_PREFIX)
    digest.update(left)
    digest.update(right)
    return digest.digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]), the tree head over ``leaf_hashes`` (RFC 6962 §2.1), in O(n) hashes."""
    _check_hashes(leaf_hashes)
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), the audit path of leaf ``index``, ordered leaf to root (RFC 6962 §2.1.1)."""
    size = _check_hashes(leaf_hashes)
    if not _is_count(index) or not 0 <= index < size:
        raise InvalidValue("index", f"must be a leaf of the tree, 0 to {size - 1}")
    path: list[bytes] = []
    lo, hi = 0, size
    # Walk down from the root; each step's sibling subtree is hashed once, so O(n) in all.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) that the first ``old_size`` leaves are a prefix of the tree (§2.1.2).

    ``old_size`` must be 1 to n; the proof between a tree and itself is empty.
    """
    size = _check_hashes(leaf_hashes)
    if not _is_count(old_size) or not 0 < old_size <= size:
        raise InvalidValue("old_size", f"must be 1 to the tree size ({size})")
    # SUBPROOF(m, D[lo:hi], b), unrolled: each step descends into one side of the subtree.
    proof: list[bytes] = []
    lo, hi, m, complete = 0, size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(_subtree_root(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf ``index`` of a tree of ``size`` leaves has ``leaf_hash``
    under the head ``root`` (RFC 9162 §2.1.3.2). Never raises; malformed input is False."""
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
        return False
    if not (_is_count(index) and _is_count(size)) or not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == bytes(root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(old_size, old_root)`` is a prefix of the tree
    ``(new_size, new_root)`` (RFC 9162 §2.1.4.2). Never raises; malformed input is False.

    Equal sizes need an empty proof and equal roots; ``old_size`` 0 is always False (see the
    module's docstring).
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
        return False
    if not (_is_count(old_size) and _is_count(new_size)) or not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and bytes(old_root) == bytes(new_root)
    if not proof:
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:  # a complete subtree: the old root is the first node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == bytes(old_root) and sr == bytes(new_root)


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]), bottom up: pair neighbours level by level and carry an odd last node up.

    Carrying the last node up unpaired builds exactly the RFC's tree: at every level the left
    part is a run of complete subtrees of the largest power of two, and the remainder hangs on
    the right, so no recursion (and no copy per level of recursion) is needed.
    """
    if lo == hi:
        return EMPTY_ROOT
    level = [bytes(h) for h in leaf_hashes[lo:hi]]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _check_hashes(leaf_hashes: Sequence[bytes]) -> int:
    for position, h in enumerate(leaf_hashes):
        if not _is_hash(h):
            raise InvalidValue(f"leaf_hashes[{position}]", f"must be {HASH_BYTES} bytes")
    return len(leaf_hashes)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_BYTES


def _is_proof(proof: object) -> bool:
    return (
        isinstance(proof, Sequence)
        and not isinstance(proof, bytes | bytearray | str)
        and all(_is_hash(p) for p in proof)
    )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
