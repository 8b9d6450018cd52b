"""A Poseidon tree served as tiles, so that a wallet learns its membership path without naming its leaf.

Asking the service for the path of leaf i (`/v1/ledger/issuers/{issuer}/paths/{i}`) tells it which
credential is about to be used. Tiles, after C2SP tlog-tiles, cut the tree into fixed-size
subtrees instead: tile level L covers node heights 8L .. 8L + 8 (the top level fewer, up to the
tree's depth), and tile (L, n) holds the 2^8 = 256 nodes at height 8L with indices
256n .. 256n + 255, nothing else: the client hashes a tile's inner nodes itself. A wallet holding
leaf i fetches tile (L, i >> 8(L + 1)) for every level L (three tiles at depth 20), recomputes
each tile's inner nodes, reads its siblings there, and checks that the root it computes is one
the ledger accepts (a write between two fetches shows as a root the ledger never had: fetch again).

A tile at the right edge is partial: it holds only the nodes that have a leaf below them (the
tree's size says how many); missing nodes are empty subtrees, `zero_hashes(depth)[height]`.
A revoked leaf is 0 in its tile, like in the tree. Nodes are 32 bytes each, big-endian.

What the server still learns from the tiles fetched: at the bottom level, a range of 256 leaves
that contains the wallet's credential (one of at most 256 credentials issued together, fewer in
the right-edge tile); the upper tiles reveal only coarser ranges. It does not learn the leaf
itself. A wallet that wants more cover pads its fetches: for a small tree (a few thousand
credentials, a few dozen tiles) it can fetch the whole bottom level, or a fixed number of
random tiles besides its own; repeated fetches of the same tile over time can still be
correlated by network address unless the wallet fetches through a shared cache or proxy.

`path_from_tiles` is the Python twin of service/web/wallet/tiles.js.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import InvalidEncoding
from ..params import R
from ..poseidon import hash_pairs
from .poseidon_tree import MerklePath, zero_hashes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
NODE_BYTES = 32


def tile_levels(depth: int) -> list[tuple[int, int]]:
    """(base height, height) of each tile level, bottom up: depth 20 → [(0, 8), (8, 8), (16, 4)]."""
    return [(base, min(TILE_HEIGHT, depth - base)) for base in range(0, depth, TILE_HEIGHT)]


def tiles_for_leaf(depth: int, leaf_index: int) -> list[tuple[int, int]]:
    """The (level, index) of every tile leaf `leaf_index`'s path reads."""
    if not 0 <= leaf_index < 1 << depth:
        raise InvalidEncoding(f"leaf index must be in 0..2^{depth} − 1")
    return [(level, leaf_index >> (base + height)) for level, (base, height) in enumerate(tile_levels(depth))]


def encode_tile(nodes: Sequence[int]) -> bytes:
    return b"".join(n.to_bytes(NODE_BYTES, "big") for n in nodes)


def decode_tile(data: bytes, width: int) -> list[int]:
    """The nodes of a tile of at most `width` nodes; InvalidEncoding for any other bytes."""
    if len(data) % NODE_BYTES or not 0 < len(data) // NODE_BYTES <= width:
        raise InvalidEncoding(f"a tile holds 1 to {width} nodes of {NODE_BYTES} bytes")
    nodes = [int.from_bytes(data[i : i + NODE_BYTES], "big") for i in range(0, len(data), NODE_BYTES)]
    if any(n >= R for n in nodes):
        raise InvalidEncoding("a tile node is not below r")
    return nodes


def _levels_above(base_nodes: list[int], height: int, zeros: Sequence[int], base: int,
                  hash_level: Callable[[list[int], list[int]], list[int]]) -> list[list[int]]:
    """The tile's node levels from its base (padded with empty subtrees) to its single top node."""
    levels = [base_nodes + [zeros[base]] * ((1 << height) - len(base_nodes))]
    for _ in range(height):
        below = levels[-1]
        levels.append(hash_level(below[0::2], below[1::2]))
    return levels


def path_from_tiles(depth: int, leaf_index: int, tiles: Mapping[tuple[int, int], Sequence[int]],
                    hash_level: Callable[[list[int], list[int]], list[int]] = hash_pairs) -> tuple[MerklePath, int]:
    """Leaf `leaf_index`'s path and the root, from the tiles `tiles_for_leaf` names ({(level, index): nodes})."""
    zeros = zero_hashes(depth)
    siblings: list[int] = []
    top = None
    for (level, index), (base, height) in zip(tiles_for_leaf(depth, leaf_index), tile_levels(depth)):
        nodes = list(tiles[(level, index)])
        if not 0 < len(nodes) <= 1 << height:
            raise InvalidEncoding(f"tile {level}/{index} must hold 1 to {1 << height} nodes")
        levels = _levels_above(nodes, height, zeros, base, hash_level)
        if top is not None and levels[0][(leaf_index >> base) & ((1 << height) - 1)] != top:
            raise InvalidEncoding(f"tile {level}/{index} does not hold the node the tile below computes")
        position = (leaf_index >> base) & ((1 << height) - 1)
        for h in range(height):
            siblings.append(levels[h][(position >> h) ^ 1])
        top = levels[height][0]
    return MerklePath(leaf_index, tuple(siblings)), top
