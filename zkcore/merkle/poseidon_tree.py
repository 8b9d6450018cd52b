"""Poseidon binary Merkle trees of fixed depth: the issuers' credential commitment trees.

node = Poseidon(left, right) (circomlib's Poseidon(2)); an empty leaf is 0 and an empty subtree
of height h hashes to zero_hashes(depth)[h]. Leaf i's path is its siblings bottom-up and the
bits of i (0: the node is a left child), exactly what a circuit's membership gadget consumes.

`PoseidonTree` keeps every level as a uint64 limb array (32 bytes a node), so 2²⁰ leaves cost
64 MiB and paths are O(depth) reads. `Frontier` is the O(depth) state that appends need
(the rightmost filled subtree at each height): what a ledger persists to resume a tree.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from .. import field
from ..errors import InvalidEncoding, InvalidProof
from ..poseidon import hash_rows, poseidon

MAX_DEPTH = 32


def _check_depth(depth: int) -> int:
    if not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"tree depth must be in 1..{MAX_DEPTH}")
    return depth


@cache
def zero_hashes(depth: int) -> tuple[int, ...]:
    """zero_hashes(d)[h]: the root of an empty subtree of height h, for h = 0..d."""
    zeros = [0]
    for _ in range(depth):
        zeros.append(poseidon([zeros[-1], zeros[-1]]))
    return tuple(zeros)


@dataclass(frozen=True, slots=True)
class MerklePath:
    """Membership path of one leaf: siblings bottom-up and the leaf index's bits (LSB first)."""

    index: int
    siblings: tuple[int, ...]

    @property
    def index_bits(self) -> tuple[int, ...]:
        return tuple((self.index >> h) & 1 for h in range(len(self.siblings)))


def root_from_path(leaf: int, path: MerklePath) -> int:
    node = field.check_scalar(leaf, "leaf")
    for bit, sibling in zip(path.index_bits, path.siblings):
        field.check_scalar(sibling, "sibling")
        node = poseidon([sibling, node] if bit else [node, sibling])
    return node


def verify_path(root: int, leaf: int, path: MerklePath) -> bool:
    """Whether `leaf` sits at `path.index` in the tree whose root is `root`."""
    if not 0 <= path.index < 1 << len(path.siblings):
        raise InvalidEncoding("path index does not fit the path's depth")
    return root_from_path(leaf, path) == root


class PoseidonTree:
    """A Poseidon Merkle tree of fixed depth with append, update (revocation) and paths."""

    def __init__(self, depth: int):
        self.depth = _check_depth(depth)
        self._zeros = zero_hashes(depth)
        # levels[h][:counts[h]] holds the nodes of height h that have a non-empty leaf below them;
        # buffers grow by doubling so that appends in small batches stay amortised O(1).
        self._levels = [np.zeros((0, 4), dtype=np.uint64) for _ in range(depth + 1)]
        self._counts = [0] * (depth + 1)
        self.size = 0

    @property
    def capacity(self) -> int:
        return 1 << self.depth

    @classmethod
    def from_leaves(cls, depth: int, leaves: Sequence[int]) -> PoseidonTree:
        """Build level by level, hashing each level's pairs in one parallel batch."""
        tree = cls(depth)
        tree._check_room(len(leaves))
        for leaf in leaves:
            field.check_scalar(leaf, "leaf")
        tree._grow(0, len(leaves))
        if leaves:
            tree._levels[0][: len(leaves)] = field.ints_to_array(leaves)
        tree.size = len(leaves)
        tree._rebuild_from(0, 0)
        return tree

    def _check_room(self, extra: int) -> None:
        if self.size + extra > self.capacity:
            raise ValueError(f"tree of depth {self.depth} holds at most {self.capacity} leaves")

    def _grow(self, height: int, count: int) -> None:
        """Make room for `count` nodes at `height` (keeping the first counts[height]) and set the count."""
        buffer = self._levels[height]
        if buffer.shape[0] < count:
            bigger = np.zeros((max(count, 2 * buffer.shape[0], 16), 4), dtype=np.uint64)
            bigger[: self._counts[height]] = buffer[: self._counts[height]]
            self._levels[height] = bigger
        self._counts[height] = count

    def _rebuild_from(self, height: int, first: int) -> None:
        """Recompute levels above `height`, from the parent of node `first` rightwards."""
        for h in range(height, self.depth):
            count = self._counts[h]
            n_parents = (count + 1) // 2
            start = first // 2
            pairs = self._levels[h][2 * start : count]
            if count % 2:
                pairs = np.concatenate([pairs, field.ints_to_array([self._zeros[h]])])
            self._grow(h + 1, n_parents)
            self._levels[h + 1][start:n_parents] = hash_rows(pairs.reshape(-1, 2, 4))
            first = start

    def append(self, leaf: int) -> int:
        """Add a leaf at the next index; returns the index."""
        return self.extend([leaf])

    def extend(self, leaves: Sequence[int]) -> int:
        """Append leaves; returns the index of the first."""
        self._check_room(len(leaves))
        for leaf in leaves:
            field.check_scalar(leaf, "leaf")
        first = self.size
        if leaves:
            self._grow(0, first + len(leaves))
            self._levels[0][first : first + len(leaves)] = field.ints_to_array(leaves)
            self.size += len(leaves)
            self._rebuild_from(0, first)
        return first

    def truncate(self, size: int) -> None:
        """Drop the leaves from index `size` on: undoes an append that turned out to be refused."""
        if not 0 <= size <= self.size:
            raise ValueError(f"cannot truncate a tree of {self.size} leaves to {size}")
        self.size, count = size, size
        for h in range(self.depth + 1):
            self._counts[h] = count  # nodes past a level's count read as zero subtrees; no need to clear them
            count = (count + 1) // 2
        if size:
            self._rebuild_from(0, size - 1)

    def update(self, index: int, leaf: int) -> None:
        """Replace leaf `index` (revocation sets it to 0); O(depth) hashes."""
        if not 0 <= index < self.size:
            raise IndexError("leaf index out of range")
        self._levels[0][index] = field.ints_to_array([field.check_scalar(leaf, "leaf")])[0]
        node = index
        for h in range(self.depth):
            sibling = node ^ 1
            left, right = (node, sibling) if node % 2 == 0 else (sibling, node)
            parent = poseidon([self._node(h, left), self._node(h, right)])
            node //= 2
            self._levels[h + 1][node] = field.ints_to_array([parent])[0]

    def _node(self, height: int, index: int) -> int:
        if index < self._counts[height]:
            return field.from_limbs(self._levels[height][index])
        return self._zeros[height]

    def leaf(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise IndexError("leaf index out of range")
        return self._node(0, index)

    @property
    def root(self) -> int:
        return self._node(self.depth, 0)

    def path(self, index: int) -> MerklePath:
        if not 0 <= index < self.size:
            raise IndexError("leaf index out of range")
        siblings = tuple(self._node(h, (index >> h) ^ 1) for h in range(self.depth))
        return MerklePath(index, siblings)

    def nodes(self, height: int, start: int, stop: int) -> list[int]:
        """The nodes at `height` with indices in [start, stop) that have a leaf below them (a tile's
        content: the rest of the range, empty subtrees, is left out)."""
        if not 0 <= height <= self.depth or not 0 <= start <= stop:
            raise ValueError("height must be in 0..depth and 0 <= start <= stop")
        return field.array_to_ints(self._levels[height][start : max(start, min(stop, self._counts[height]))])

    def leaves(self) -> list[int]:
        return field.array_to_ints(self._levels[0][: self.size])

    def frontier(self) -> Frontier:
        """The resumable O(depth) state of this tree."""
        filled = tuple(
            self._node(h, (self.size >> h) - 1) if (self.size >> h) & 1 else self._zeros[h] for h in range(self.depth)
        )
        return Frontier(self.depth, self.size, filled, self.root)


_FRONTIER_MAGIC = b"ZKFR\x01"


@dataclass(frozen=True, slots=True)
class Frontier:
    """Append-only tree state: size, the left sibling waiting at each height, and the root.

    Enough to append and to compute roots, not to serve paths (which need the leaves).
    """

    depth: int
    size: int
    filled: tuple[int, ...]  # filled[h]: the completed left subtree at height h, else the zero subtree
    root: int

    @classmethod
    def empty(cls, depth: int) -> Frontier:
        zeros = zero_hashes(_check_depth(depth))
        return cls(depth, 0, zeros[:depth], zeros[depth])

    def append(self, leaf: int) -> Frontier:
        if self.size >= 1 << self.depth:
            raise ValueError("tree is full")
        zeros = zero_hashes(self.depth)
        node, index = field.check_scalar(leaf, "leaf"), self.size
        filled = list(self.filled)
        for h in range(self.depth):
            if index & 1:
                node = poseidon([filled[h], node])
            else:
                filled[h] = node
                node = poseidon([node, zeros[h]])
            index >>= 1
        size = self.size + 1
        # Keep the state canonical: heights whose bit of size is 0 hold no waiting subtree.
        filled = [filled[h] if (size >> h) & 1 else zeros[h] for h in range(self.depth)]
        return Frontier(self.depth, size, tuple(filled), node)

    def to_bytes(self) -> bytes:
        words = b"".join(x.to_bytes(32, "big") for x in (*self.filled, self.root))
        return _FRONTIER_MAGIC + struct.pack(">BQ", self.depth, self.size) + words

    @classmethod
    def from_bytes(cls, data: bytes) -> Frontier:
        head = len(_FRONTIER_MAGIC) + 9
        if not data.startswith(_FRONTIER_MAGIC) or len(data) < head:
            raise InvalidEncoding("not a serialised frontier")
        depth, size = struct.unpack(">BQ", data[len(_FRONTIER_MAGIC) : head])
        _check_depth(depth)
        if len(data) != head + 32 * (depth + 1) or size > 1 << depth:
            raise InvalidEncoding("frontier length or size does not match its depth")
        words = [
            field.check_scalar(int.from_bytes(data[i : i + 32], "big"), "frontier word")
            for i in range(head, len(data), 32)
        ]
        return cls(depth, size, tuple(words[:-1]), words[-1])


def check_frontier(frontier: Frontier, leaves: Sequence[int]) -> None:
    """Raise InvalidProof unless `frontier` is the state of a tree holding exactly `leaves`."""
    tree = PoseidonTree.from_leaves(frontier.depth, leaves)
    if tree.frontier() != frontier:
        raise InvalidProof("frontier does not match the leaves")
