"""RFC 6962 / RFC 9162 Merkle tree logs over SHA-256: hashes, proofs and their verification.

leaf hash = SHA-256(0x00 ‖ data), node hash = SHA-256(0x01 ‖ left ‖ right); the root of n
leaves splits at k, the largest power of two below n (RFC 6962 §2.1).

Proofs are generated from a node store that holds the roots of perfect subtrees, keyed by
(height, index): leaf i is (0, i), and (h, j) covers leaves [j·2^h, (j+1)·2^h). Every proof node
is such a root except at most one on the tree's right edge, itself composed of O(log n) stored
roots, so a proof costs O(log n) reads.

Verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 literally; they return None on success and
raise InvalidProof (a ZkError) on any mismatch or malformed input, including hashes that are
not 32 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from ..errors import InvalidProof

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_PREFIX = b"\x00"  # domain separation (RFC 6962 §2.1): no leaf hash can pass for a node hash
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeStore(Protocol):
    def get_node(self, height: int, index: int) -> bytes:
        """The root of the perfect subtree (height, index)."""


class MemoryNodeStore:
    """Perfect-subtree roots in a dict, filled incrementally as leaves are appended."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def append(self, leaf: bytes) -> None:
        """Store a leaf hash and every perfect subtree it completes."""
        index, height, node = self.size, 0, leaf
        self.nodes[(0, index)] = node
        while index & 1:
            node = node_hash(self.nodes[(height, index - 1)], node)
            index >>= 1
            height += 1
            self.nodes[(height, index)] = node
        self.size += 1

    def get_node(self, height: int, index: int) -> bytes:
        return self.nodes[(height, index)]


def subtree_root(store: NodeStore, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that RFC 6962's splitting produces (start aligned to it)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        height = n.bit_length() - 1
        return store.get_node(height, start >> height)
    k = _split(n)
    return node_hash(
        store.get_node(k.bit_length() - 1, start >> (k.bit_length() - 1)), subtree_root(store, start + k, end)
    )


def root(store: NodeStore, size: int) -> bytes:
    return subtree_root(store, 0, size)


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, straight from the definition (for small lists and tests)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_of_leaves(leaf_hashes[:k]), root_of_leaves(leaf_hashes[k:]))


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 6962 §2.1.1), leaf-side first."""
    if not 0 <= index < size:
        raise ValueError("index must be below size")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            proof.append(subtree_root(store, start + k, end))
            end = start + k
        else:
            proof.append(subtree_root(store, start, start + k))
            start += k
    return proof[::-1]


def consistency_proof(store: NodeStore, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) (RFC 6962 §2.1.2); empty when size1 is 0 or equals size2."""
    if not 0 <= size1 <= size2:
        raise ValueError("need 0 <= size1 <= size2")
    if size1 == 0 or size1 == size2:
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, size2, size1, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(subtree_root(store, start + k, end))
            end = start + k
        else:
            proof.append(subtree_root(store, start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(subtree_root(store, start, end))
    return proof[::-1]


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is not a {HASH_SIZE}-byte hash")
    return bytes(value)


def _check_sizes(*values: object) -> None:
    for v in values:
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise InvalidProof("indices and sizes must be non-negative integers")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` implies for `leaf` at `index` in a tree of `size` (RFC 9162 §2.1.3.2)."""
    _check_sizes(index, size)
    if index >= size:
        raise InvalidProof(f"index {index} is beyond tree size {size}")
    r = _check_hash(leaf, "leaf hash")
    fn, sn = index, size - 1
    for p in proof:
        p = _check_hash(p, "proof node")
        if sn == 0:
            raise InvalidProof("inclusion proof is too long")
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
    if sn != 0:
        raise InvalidProof("inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Raise InvalidProof unless `leaf` is at `index` in the tree of `size` leaves with `root_hash`."""
    expected = _check_hash(root_hash, "root")
    found = root_from_inclusion_proof(index, size, leaf, proof)
    if found != expected:
        raise InvalidProof(f"inclusion proof leads to root {found.hex()}, not {expected.hex()}")


def root_from_consistency_proof(size1: int, size2: int, proof: Sequence[bytes], root1: bytes) -> tuple[bytes, bytes]:
    """The roots of the trees of size1 and size2 that `proof` implies (RFC 9162 §2.1.4.2); `root1` is
    needed only where the proof omits it (size1 a power of two). 0 < size1 < size2."""
    _check_sizes(size1, size2)
    if not 0 < size1 < size2:
        raise InvalidProof("a consistency proof relates sizes 0 < size1 < size2")
    if not proof:
        raise InvalidProof("empty consistency proof")
    path = [_check_hash(p, "proof node") for p in proof]
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof is too long")
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
    if sn != 0:
        raise InvalidProof("consistency proof is too short")
    return fr, sr


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise InvalidProof unless the tree of size2 with root2 extends the tree of size1 with root1."""
    _check_sizes(size1, size2)
    root1, root2 = _check_hash(root1, "first root"), _check_hash(root2, "second root")
    if size2 < size1:
        raise InvalidProof(f"the second tree ({size2}) is smaller than the first ({size1})")
    if size1 == size2:
        if proof:
            raise InvalidProof("trees of equal size need an empty proof")
        if root1 != root2:
            raise InvalidProof(f"equal sizes with different roots {root1.hex()} and {root2.hex()}")
        return
    if size1 == 0:
        if proof:
            raise InvalidProof("consistency with the empty tree needs an empty proof")
        return
    first, second = root_from_consistency_proof(size1, size2, proof, root1)
    if first != root1:
        raise InvalidProof(f"consistency proof leads to first root {first.hex()}, not {root1.hex()}")
    if second != root2:
        raise InvalidProof(f"consistency proof leads to second root {second.hex()}, not {root2.hex()}")
