"""The RFC 6962 log's in-memory edge and its stored nodes.

`CompactRange` holds the perfect-subtree roots that cover leaves [0, size) (at most log₂ n of
them): enough to append and to compute the root. Appending reports every subtree it completes so
that those of height ≥ STORED_HEIGHT are stored. `StoredNodes` answers zkcore's NodeStore
protocol from a transaction: stored heights by id, lower ones hashed from ≤ 2^STORED_HEIGHT entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from zkcore.merkle import rfc6962

from .store import STORED_HEIGHT, Tx, node_id


@dataclass
class CompactRange:
    size: int = 0
    stack: list[tuple[int, bytes]] = field(default_factory=list)  # (height, root), heights decreasing

    def append(self, leaf_hash: bytes, completed: list[tuple[int, bytes]] | None = None) -> None:
        """Add one leaf; append (node id, hash) of every completed subtree of stored height to `completed`."""
        height, node, index = 0, leaf_hash, self.size
        while self.stack and self.stack[-1][0] == height:
            _, left = self.stack.pop()
            node = rfc6962.node_hash(left, node)
            height += 1
            index >>= 1
            if height >= STORED_HEIGHT and completed is not None:
                completed.append((node_id(height, index), node))
        self.stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return rfc6962.EMPTY_ROOT
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = rfc6962.node_hash(left, node)
        return node

    @classmethod
    def load(cls, tx: Tx, size: int) -> CompactRange:
        """The range for the first `size` leaves, read from stored nodes and at most 15 entries."""
        nodes, stack, start = StoredNodes(tx), [], 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                stack.append((height, nodes.get_node(height, start >> height)))
                start += 1 << height
        return cls(size, stack)


class _Reads:
    """A NodeStore that answers zeros and remembers what was asked: which nodes a proof reads
    depends on the indices alone, never on the hashes."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []

    def get_node(self, height: int, index: int) -> bytes:
        self.keys.append((height, index))
        return bytes(32)


class StoredNodes:
    """zkcore.merkle.rfc6962.NodeStore over a transaction."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self._cache: dict[tuple[int, int], bytes] = {}

    def proof(self, make: Callable[..., list[bytes]], *args) -> list[bytes]:
        """make(store, *args) (rfc6962.inclusion_proof or consistency_proof). On PostgreSQL its
        stored nodes are fetched in one query rather than a round trip each (3.7 → 1.8 ms at 10^5
        entries); SQLite reads are in-process calls, where the extra pass would only cost time."""
        if self.tx.store.dialect == "sqlite":
            return make(self, *args)
        reads = _Reads()
        make(reads, *args)
        wanted = {node_id(h, i): (h, i) for h, i in reads.keys if h >= STORED_HEIGHT and (h, i) not in self._cache}
        if wanted:
            for nid, digest in self.tx.nodes(list(wanted)).items():
                self._cache[wanted[nid]] = digest
        return make(self, *args)

    def get_node(self, height: int, index: int) -> bytes:
        key = (height, index)
        if key not in self._cache:
            if height >= STORED_HEIGHT:
                found = self.tx.nodes([node_id(height, index)])
                if not found:
                    raise LookupError(f"node ({height}, {index}) is not stored")
                self._cache[key] = found[node_id(height, index)]
            else:
                first = index << height
                data = self.tx.entries(first, first + (1 << height))
                if len(data) != 1 << height:
                    raise LookupError(f"entries {first}.. are not stored")
                self._cache[key] = rfc6962.root_of_leaves([rfc6962.leaf_hash(d) for d in data])
        return self._cache[key]
