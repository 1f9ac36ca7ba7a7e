"""The RFC 6962 Merkle tree: published vectors, a naive reading of the RFC, and tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confide.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from confide.domain.errors import InvalidValue

DATA = Path(__file__).parents[1] / "data" / "merkle"
PROPERTY = settings(max_examples=300, deadline=None)

# The one published probe confide rejects on purpose: its "roots" are 12 bytes of ASCII, and
# confide refuses anything that is not a 32-byte hash before comparing. Upstream accepts it
# because its verifier compares equal-size roots without checking their length.
REJECTED_ON_PURPOSE = {
    "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"
}


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


REFERENCE = _load("rfc6962-reference-tree.json")
INCLUSION_PROBES = _load("rfc6962-inclusion-probes.json")["cases"]
CONSISTENCY_PROBES = _load("rfc6962-consistency-probes.json")["cases"]
REFERENCE_LEAVES = [leaf_hash(bytes.fromhex(x)) for x in REFERENCE["leaf_inputs_hex"]]


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


# A naive reading of RFC 6962 §2.1, slicing and recursing exactly as the RFC writes it.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_subproof(m, d[:k], b), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), _mth(d[:k])]


def _sides(m: int, n: int) -> list[bool]:
    """Leaf to root: whether leaf m's sibling at each level of a tree of n leaves is on its left."""
    if n == 1:
        return []
    k = _k(n)
    return [*_sides(m, k), False] if m < k else [*_sides(m - k, n - k), True]


# The published vectors.


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_each_reference_tree_matches_the_published_root(size: int) -> None:
    expected = REFERENCE["root_hashes_hex_by_tree_size"][str(size)]
    assert root(REFERENCE_LEAVES[:size]).hex() == expected


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_its_root() -> None:
    assert root([]) == EMPTY_ROOT == bytes.fromhex(REFERENCE["root_hashes_hex_by_tree_size"]["0"])


def test_every_complete_subtree_of_the_reference_tree_matches_its_published_node_hash() -> None:
    for level, hashes in enumerate(REFERENCE["node_hashes_hex_by_level"]):
        width = 1 << level
        for i, expected in enumerate(hashes):
            assert root(REFERENCE_LEAVES[i * width : (i + 1) * width]).hex() == expected


@pytest.mark.parametrize(
    "case",
    [c for c in REFERENCE["known_good_inclusion_proofs"] if c["tree_size"] > 0],
    ids=lambda c: f"leaf{c['leaf_index']}-of-{c['tree_size']}",
)
def test_the_published_inclusion_proofs_are_the_ones_generated_and_they_verify(
    case: dict[str, Any],
) -> None:
    index, size = case["leaf_index"], case["tree_size"]
    proof = inclusion_proof(index, REFERENCE_LEAVES[:size])
    assert [p.hex() for p in proof] == case["audit_path_hex"]
    tree_root = root(REFERENCE_LEAVES[:size])
    assert verify_inclusion(REFERENCE_LEAVES[index], index, size, proof, tree_root)


def test_the_published_proof_for_an_empty_tree_is_refused() -> None:
    # The reference table's {0, 0, nil} entry, which upstream skips as an invalid path.
    with pytest.raises(InvalidValue, match="index"):
        inclusion_proof(0, [])
    assert not verify_inclusion(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT)


@pytest.mark.parametrize(
    "case",
    REFERENCE["known_good_consistency_proofs"],
    ids=lambda c: f"{c['size1']}-to-{c['size2']}",
)
def test_the_published_consistency_proofs_are_the_ones_generated_and_they_verify(
    case: dict[str, Any],
) -> None:
    m, n = case["size1"], case["size2"]
    proof = consistency_proof(m, REFERENCE_LEAVES[:n])
    assert [p.hex() for p in proof] == case["proof_hex"]
    old, new = root(REFERENCE_LEAVES[:m]), root(REFERENCE_LEAVES[:n])
    assert verify_consistency(m, n, old, new, proof)


@pytest.mark.parametrize("case", INCLUSION_PROBES, ids=lambda c: c["source_path"])
def test_each_published_inclusion_probe_gets_its_expected_verdict(case: dict[str, Any]) -> None:
    verdict = verify_inclusion(
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    assert verdict is (not case["wantErr"])


@pytest.mark.parametrize("case", CONSISTENCY_PROBES, ids=lambda c: c["source_path"])
def test_each_published_consistency_probe_gets_its_expected_verdict(
    case: dict[str, Any],
) -> None:
    verdict = verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        [_b64(p) for p in case["proof"] or []],
    )
    if case["source_path"] in REJECTED_ON_PURPOSE:
        assert len(_b64(case["root1"])) != 32
        assert verdict is False
    else:
        assert verdict is (not case["wantErr"])


def test_the_published_probes_are_all_there_and_most_must_fail() -> None:
    assert len(INCLUSION_PROBES) == len(CONSISTENCY_PROBES) == 98
    assert sum(c["wantErr"] for c in INCLUSION_PROBES) == 92
    assert sum(c["wantErr"] for c in CONSISTENCY_PROBES) == 92
    assert REJECTED_ON_PURPOSE.issubset(c["source_path"] for c in CONSISTENCY_PROBES)


# The code against the RFC's own recursive definitions.


@PROPERTY
@given(n=st.integers(0, 300), salt=st.binary(max_size=4))
def test_the_root_is_the_rfc_tree_hash(n: int, salt: bytes) -> None:
    leaves = _leaves(n, salt)
    assert root(leaves) == _mth(leaves)


@PROPERTY
@given(n=st.integers(1, 300), data=st.data())
def test_an_inclusion_proof_is_the_rfc_audit_path(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    index = data.draw(st.integers(0, n - 1), label="index")
    assert inclusion_proof(index, leaves) == _path(index, leaves)


@PROPERTY
@given(n=st.integers(1, 300), data=st.data())
def test_a_consistency_proof_is_the_rfc_proof(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    m = data.draw(st.integers(1, n), label="old_size")
    assert consistency_proof(m, leaves) == _subproof(m, leaves, True)


# Inclusion proofs.


def test_every_leaf_of_every_small_tree_has_an_inclusion_proof_that_verifies() -> None:
    for n in range(1, 65):
        leaves = _leaves(n)
        tree_root = root(leaves)
        for index in range(n):
            proof = inclusion_proof(index, leaves)
            assert verify_inclusion(leaves[index], index, n, proof, tree_root), (index, n)


@st.composite
def _inclusion_cases(draw: st.DrawFn) -> tuple[list[bytes], int, list[bytes], bytes]:
    n = draw(st.integers(1, 300), label="size")
    leaves = _leaves(n, draw(st.binary(max_size=4), label="salt"))
    index = draw(st.integers(0, n - 1), label="index")
    return leaves, index, inclusion_proof(index, leaves), root(leaves)


@PROPERTY
@given(case=_inclusion_cases())
def test_a_generated_inclusion_proof_verifies(
    case: tuple[list[bytes], int, list[bytes], bytes],
) -> None:
    leaves, index, proof, tree_root = case
    assert verify_inclusion(leaves[index], index, len(leaves), proof, tree_root)


@PROPERTY
@given(case=_inclusion_cases(), data=st.data())
def test_an_inclusion_proof_with_one_byte_changed_fails(
    case: tuple[list[bytes], int, list[bytes], bytes], data: st.DataObject
) -> None:
    leaves, index, proof, tree_root = case
    if not proof:  # a tree of one leaf has nothing to change
        return
    node = data.draw(st.integers(0, len(proof) - 1), label="node")
    at = data.draw(st.integers(0, 31), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(proof[node])
    changed[at] ^= flip
    tampered = [*proof[:node], bytes(changed), *proof[node + 1 :]]
    assert not verify_inclusion(leaves[index], index, len(leaves), tampered, tree_root)


@PROPERTY
@given(case=_inclusion_cases(), data=st.data())
def test_an_inclusion_proof_for_another_index_fails(
    case: tuple[list[bytes], int, list[bytes], bytes], data: st.DataObject
) -> None:
    leaves, index, proof, tree_root = case
    other = data.draw(st.integers(-3, len(leaves) + 3).filter(lambda i: i != index))
    assert not verify_inclusion(leaves[index], other, len(leaves), proof, tree_root)


@PROPERTY
@given(case=_inclusion_cases(), data=st.data())
def test_an_inclusion_proof_fails_for_any_size_that_puts_the_leaf_on_another_path(
    case: tuple[list[bytes], int, list[bytes], bytes], data: st.DataObject
) -> None:
    leaves, index, proof, tree_root = case
    n = len(leaves)
    other = data.draw(st.integers(-3, 2 * n + 3).filter(lambda s: s != n), label="size")
    verdict = verify_inclusion(leaves[index], index, other, proof, tree_root)
    # A proof is a path: sizes that give the leaf the same path up to the root cannot be told
    # apart by it (the signed checkpoint binds the size to the root).
    same_path = index < other and _sides(index, other) == _sides(index, n)
    assert verdict is same_path


def test_an_inclusion_proof_binds_the_path_not_the_size() -> None:
    leaves = _leaves(5)
    proof = inclusion_proof(0, leaves)
    # Leaf 0 sits on the same path of length 3 in trees of 5 to 8 leaves.
    for size in (5, 6, 7, 8):
        assert verify_inclusion(leaves[0], 0, size, proof, root(leaves))
    for size in (4, 9, 10):
        assert not verify_inclusion(leaves[0], 0, size, proof, root(leaves))


@PROPERTY
@given(case=_inclusion_cases(), other=st.binary(min_size=0, max_size=40))
def test_an_inclusion_proof_for_another_leaf_fails(
    case: tuple[list[bytes], int, list[bytes], bytes], other: bytes
) -> None:
    leaves, index, proof, tree_root = case
    wrong = leaf_hash(b"not in the tree" + other)
    assert not verify_inclusion(wrong, index, len(leaves), proof, tree_root)
    assert not verify_inclusion(leaves[index], index, len(leaves), proof, wrong)


@PROPERTY
@given(case=_inclusion_cases())
def test_an_inclusion_proof_against_another_root_fails(
    case: tuple[list[bytes], int, list[bytes], bytes],
) -> None:
    leaves, index, proof, _ = case
    other_root = root([*leaves, leaf_hash(b"one more")])
    assert not verify_inclusion(leaves[index], index, len(leaves), proof, other_root)
    assert not verify_inclusion(leaves[index], index, len(leaves), proof, EMPTY_ROOT)


@PROPERTY
@given(case=_inclusion_cases(), data=st.data())
def test_an_inclusion_proof_with_a_node_dropped_or_added_fails(
    case: tuple[list[bytes], int, list[bytes], bytes], data: st.DataObject
) -> None:
    leaves, index, proof, tree_root = case
    n = len(leaves)
    at = data.draw(st.integers(0, len(proof)), label="insert at")
    extra = data.draw(st.sampled_from([*proof, tree_root, leaves[index], bytes(32)]))
    assert not verify_inclusion(
        leaves[index], index, n, [*proof[:at], extra, *proof[at:]], tree_root
    )
    if proof:
        gone = data.draw(st.integers(0, len(proof) - 1), label="drop")
        dropped = [*proof[:gone], *proof[gone + 1 :]]
        assert not verify_inclusion(leaves[index], index, n, dropped, tree_root)


# Consistency proofs.


def test_every_pair_of_small_tree_sizes_has_a_consistency_proof_that_verifies() -> None:
    leaves = _leaves(48)
    roots = [root(leaves[:n]) for n in range(len(leaves) + 1)]
    for n in range(1, len(leaves) + 1):
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves[:n])
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


@st.composite
def _consistency_cases(draw: st.DrawFn) -> tuple[list[bytes], int, list[bytes]]:
    n = draw(st.integers(1, 300), label="new size")
    leaves = _leaves(n, draw(st.binary(max_size=4), label="salt"))
    m = draw(st.integers(1, n), label="old size")
    return leaves, m, consistency_proof(m, leaves)


@PROPERTY
@given(case=_consistency_cases())
def test_a_generated_consistency_proof_verifies(case: tuple[list[bytes], int, list[bytes]]) -> None:
    leaves, m, proof = case
    assert verify_consistency(m, len(leaves), root(leaves[:m]), root(leaves), proof)


@PROPERTY
@given(case=_consistency_cases(), data=st.data())
def test_a_consistency_proof_with_one_byte_changed_fails(
    case: tuple[list[bytes], int, list[bytes]], data: st.DataObject
) -> None:
    leaves, m, proof = case
    if not proof:  # a tree and itself: nothing to change
        return
    node = data.draw(st.integers(0, len(proof) - 1), label="node")
    at = data.draw(st.integers(0, 31), label="byte")
    changed = bytearray(proof[node])
    changed[at] ^= data.draw(st.integers(1, 255), label="xor")
    tampered = [*proof[:node], bytes(changed), *proof[node + 1 :]]
    assert not verify_consistency(m, len(leaves), root(leaves[:m]), root(leaves), tampered)


@PROPERTY
@given(case=_consistency_cases(), data=st.data())
def test_a_consistency_proof_with_a_node_dropped_or_added_fails(
    case: tuple[list[bytes], int, list[bytes]], data: st.DataObject
) -> None:
    leaves, m, proof = case
    n, old, new = len(leaves), root(leaves[:m]), root(leaves)
    at = data.draw(st.integers(0, len(proof)), label="insert at")
    extra = data.draw(st.sampled_from([*proof, old, new, bytes(32)]))
    assert not verify_consistency(m, n, old, new, [*proof[:at], extra, *proof[at:]])
    if proof:
        gone = data.draw(st.integers(0, len(proof) - 1), label="drop")
        assert not verify_consistency(m, n, old, new, [*proof[:gone], *proof[gone + 1 :]])


@PROPERTY
@given(case=_consistency_cases())
def test_a_consistency_proof_with_the_roots_swapped_fails(
    case: tuple[list[bytes], int, list[bytes]],
) -> None:
    leaves, m, proof = case
    n, old, new = len(leaves), root(leaves[:m]), root(leaves)
    if old == new:  # a tree and itself: swapping changes nothing
        return
    assert not verify_consistency(m, n, new, old, proof)


@PROPERTY
@given(case=_consistency_cases(), data=st.data())
def test_an_old_tree_that_is_not_a_prefix_of_the_new_one_fails(
    case: tuple[list[bytes], int, list[bytes]], data: st.DataObject
) -> None:
    leaves, m, proof = case
    n = len(leaves)
    changed_at = data.draw(st.integers(0, m - 1), label="changed leaf")
    rewritten = [*leaves[:changed_at], leaf_hash(b"rewritten"), *leaves[changed_at + 1 :]]
    # The log claims an old head it never had...
    assert not verify_consistency(m, n, root(rewritten[:m]), root(leaves), proof)
    # ...or proves from a history that was rewritten before it grew.
    rewritten_proof = consistency_proof(m, rewritten)
    assert not verify_consistency(m, n, root(leaves[:m]), root(rewritten), rewritten_proof)
    assert not verify_consistency(m, n, root(leaves[:m]), root(rewritten), proof)


def test_a_consistency_proof_binds_the_path_not_the_sizes() -> None:
    leaves = _leaves(8)
    proof = consistency_proof(4, leaves)
    assert proof == [root(leaves[4:8])]
    # Only the signed checkpoint ties a size to a root: the proof alone fits sizes 5 to 8.
    assert verify_consistency(4, 5, root(leaves[:4]), root(leaves), proof)
    assert not verify_consistency(4, 9, root(leaves[:4]), root(leaves), proof)


def test_a_tree_is_consistent_with_itself_by_an_empty_proof_only() -> None:
    leaves = _leaves(5)
    head = root(leaves)
    assert consistency_proof(5, leaves) == []
    assert verify_consistency(5, 5, head, head, [])
    assert not verify_consistency(5, 5, head, head, [head])
    assert not verify_consistency(5, 5, head, root(leaves[:4]), [])


def test_a_consistency_proof_from_the_empty_tree_is_never_accepted() -> None:
    leaves = _leaves(3)
    with pytest.raises(InvalidValue, match="old_size"):
        consistency_proof(0, leaves)
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, root(leaves), [])
    assert not verify_consistency(0, 3, EMPTY_ROOT, root(leaves), [root(leaves)])


def test_a_consistency_proof_to_a_smaller_tree_is_refused() -> None:
    leaves = _leaves(6)
    with pytest.raises(InvalidValue, match="old_size"):
        consistency_proof(7, leaves)
    assert not verify_consistency(6, 5, root(leaves), root(leaves[:5]), [])


# Domain separation, and input the verifiers must survive.


def test_a_leaf_can_never_pass_for_an_interior_node() -> None:
    a, b = leaf_hash(b"first entry"), leaf_hash(b"second entry")
    two_leaf_root = root([a, b])
    assert two_leaf_root == node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    # The node's preimage presented as one leaf hashes with the leaf prefix, to something else.
    forged = leaf_hash(a + b)
    assert forged == hashlib.sha256(b"\x00" + a + b).digest()
    assert forged != two_leaf_root
    assert leaf_hash(b"\x01" + a + b) != two_leaf_root
    assert not verify_inclusion(forged, 0, 1, [], two_leaf_root)
    assert root([forged]) != two_leaf_root


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=40), max_size=4),
    st.lists(st.integers(), max_size=4),
)


@PROPERTY
@given(leaf=_JUNK, index=_JUNK, size=_JUNK, proof=_JUNK, head=_JUNK)
def test_an_inclusion_verifier_given_junk_says_no_and_never_raises(
    leaf: Any, index: Any, size: Any, proof: Any, head: Any
) -> None:
    assert verify_inclusion(leaf, index, size, proof, head) is False


@PROPERTY
@given(old_size=_JUNK, new_size=_JUNK, old=_JUNK, new=_JUNK, proof=_JUNK)
def test_a_consistency_verifier_given_junk_says_no_and_never_raises(
    old_size: Any, new_size: Any, old: Any, new: Any, proof: Any
) -> None:
    assert verify_consistency(old_size, new_size, old, new, proof) is False


def test_hashes_of_the_wrong_length_never_verify() -> None:
    leaves = _leaves(4)
    proof = inclusion_proof(1, leaves)
    head = root(leaves)
    assert verify_inclusion(leaves[1], 1, 4, proof, head)
    assert not verify_inclusion(leaves[1] + b"\x00", 1, 4, proof, head)
    assert not verify_inclusion(leaves[1], 1, 4, proof, head[:31])
    assert not verify_inclusion(leaves[1], 1, 4, [proof[0][:31], proof[1]], head)
    assert not verify_inclusion(leaves[1], True, 4, proof, head)


def test_the_generators_refuse_leaf_hashes_that_are_not_hashes() -> None:
    with pytest.raises(InvalidValue, match=r"leaf_hashes\[1\]"):
        root([leaf_hash(b"a"), b"short"])
    with pytest.raises(InvalidValue, match="index"):
        inclusion_proof(3, _leaves(3))
    with pytest.raises(InvalidValue, match="index"):
        inclusion_proof(-1, _leaves(3))


def test_a_tree_of_a_hundred_thousand_leaves_is_hashed_and_proved_quickly() -> None:
    leaves = _leaves(100_000)
    head = root(leaves)
    proof = inclusion_proof(77_777, leaves)
    assert verify_inclusion(leaves[77_777], 77_777, 100_000, proof, head)
    old = root(leaves[:65_537])
    assert verify_consistency(65_537, 100_000, old, head, consistency_proof(65_537, leaves))
