"""The Merkle tree (audit/merkle.py) against RFC 6962's recursive definition: roots, the right
edge kept in the head row, inclusion and consistency proofs, each for every size up to 40."""

from __future__ import annotations

from xinyong.audit import merkle
from xinyong.audit.merkle import EMPTY_ROOT, Frontier, leaf_hash, node_hash

LEAVES = [leaf_hash(bytes([i])) for i in range(41)]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, as written there."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_empty_tree_and_domain_separation() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") != node_hash(b"", b"")  # 0x00 / 0x01 prefixes


def test_frontier_gives_the_root_at_every_size_and_survives_storage() -> None:
    edge = Frontier()
    for n in range(1, 41):
        edge.push(LEAVES[n - 1])
        stored = Frontier.load(edge.size, edge.dump())
        assert stored.root() == mth(LEAVES[:n]) == merkle.root_of(LEAVES[:n])


def test_inclusion_proofs_hold_and_fail_on_a_wrong_leaf_or_index() -> None:
    for n in range(1, 41):
        root = mth(LEAVES[:n])
        for i in range(n):
            proof = merkle.inclusion_proof(i, LEAVES[:n])
            assert merkle.verify_inclusion(i, n, LEAVES[i], proof, root)
            assert not merkle.verify_inclusion(i, n, LEAVES[40], proof, root)
            if n > 1:
                assert not merkle.verify_inclusion((i + 1) % n, n, LEAVES[i], proof, root)


def test_consistency_proofs_hold_and_fail_on_a_rewritten_prefix() -> None:
    rewritten = [leaf_hash(b"x"), *LEAVES[1:]]
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, LEAVES[:n])
            assert merkle.verify_consistency(m, n, mth(LEAVES[:m]), mth(LEAVES[:n]), proof)
            if m < n:
                assert not merkle.verify_consistency(
                    m, n, mth(rewritten[:m]), mth(LEAVES[:n]), proof
                )
