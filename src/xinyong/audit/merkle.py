"""A Merkle tree over the audit log's entries, as Certificate Transparency defines it
(RFC 6962 §2.1, RFC 9162 §2.1): leaves hashed with a 0x00 prefix, inner nodes with 0x01, a tree
of n leaves split at the largest power of two below n. Its root at size n commits to the first
n entries; an inclusion proof shows that one entry is among them, a consistency proof that the
tree at size m is a prefix of the tree at size n. Pure functions: no database, no key, so a
second party can check proofs with this module alone (or any RFC 9162 implementation)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first
    (one per set bit of the size). Appending a leaf costs one hash amortised; the root at the
    current size costs one hash per set bit. Stored in the head row, it lets a tree head be
    signed at any size without reading the leaves."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.size, self.hashes = size, list(hashes)

    def push(self, leaf: bytes) -> None:
        """Append one leaf hash (from `leaf_hash`)."""
        hashes = self.hashes
        hashes.append(leaf)
        size = self.size
        while size & 1:  # each trailing 1-bit of the old size: two equal subtrees merge
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            size >>= 1
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.push(leaf)

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            acc = node_hash(left, acc)
        return acc

    def dump(self) -> str:
        return "".join(h.hex() for h in self.hashes)

    @classmethod
    def load(cls, size: int, text: str | None) -> Frontier:
        raw = bytes.fromhex(text or "")
        return cls(size, [raw[i : i + 32] for i in range(0, len(raw), 32)])

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The tree head hash (MTH) over leaf hashes."""
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`."""
    if not 0 <= index < len(leaves):
        raise ValueError("leaf index outside the tree")
    proof: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            proof.append(root_of(leaves[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root_of(leaves[lo : lo + k]))
            lo, m = lo + k, m - k
    proof.reverse()  # PATH lists the deepest sibling first
    return proof


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]): shows the tree of the first `old_size` leaves is a prefix."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError("old size outside the tree")
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(root_of(leaves[lo + k : hi]))
            hi = lo + k
        else:
            proof.append(root_of(leaves[lo : lo + k]))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(root_of(leaves[lo:hi]))
    proof.reverse()
    return proof


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size:
        return old_size == 0 and not proof  # the empty tree is a prefix of every tree
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
