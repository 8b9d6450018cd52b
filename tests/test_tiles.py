"""Membership paths from tiles (zkcore/merkle/tiles.py and service/web/wallet/tiles.js) equal
PoseidonTree.path: revoked leaves, the right edge, full tiles, every tile level; tampered tiles refused."""

import json
import random
import subprocess

import pytest

from circuits import witness_program as wp
from circuits.credential_query import credential_query_circuit
from zkcore.errors import InvalidEncoding
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.merkle.tiles import (
    TILE_WIDTH,
    decode_tile,
    encode_tile,
    path_from_tiles,
    tile_levels,
    tiles_for_leaf,
)
from zkcore.params import R


def tiles_of(tree: PoseidonTree, leaf: int) -> dict:
    """The tiles a wallet fetches for `leaf`, as the service cuts them."""
    out = {}
    for (level, index), (base, height) in zip(tiles_for_leaf(tree.depth, leaf), tile_levels(tree.depth)):
        out[(level, index)] = tree.nodes(base, index << height, (index + 1) << height)
    return out


def build(depth: int, size: int, revoked: list[int], seed: int) -> PoseidonTree:
    rng = random.Random(seed)
    tree = PoseidonTree(depth)
    tree.extend([rng.randrange(1, R) for _ in range(size)])
    for i in revoked:
        tree.update(i, 0)
    return tree


# (depth, size, revoked, leaves to check): tile boundaries, the right edge, a full bottom tile,
# a full tree, a top level narrower than a tile, a single-level tree
TREES = [
    (20, 600, [0, 255, 256, 599], [0, 1, 255, 256, 257, 511, 512, 598, 599]),
    (20, 1, [], [0]),
    (8, 256, [17], [0, 17, 128, 255]),
    (10, 1024, [1023], [0, 511, 512, 1023]),
    (3, 5, [4], [0, 3, 4]),
    (17, 70_000, [65_535, 65_536], [65_535, 65_536, 69_999]),
]
CASES = [(depth, size, revoked, leaf) for depth, size, revoked, leaves in TREES for leaf in leaves]


@pytest.fixture(scope="module")
def trees():
    return {(d, s): build(d, s, r, seed=d * 1000 + s) for d, s, r, _ in TREES}


def test_tile_layout():
    assert tile_levels(20) == [(0, 8), (8, 8), (16, 4)]
    assert tile_levels(8) == [(0, 8)]
    assert tile_levels(3) == [(0, 3)]
    assert tiles_for_leaf(20, 600) == [(0, 2), (1, 0), (2, 0)]
    assert tiles_for_leaf(20, (1 << 20) - 1) == [(0, 4095), (1, 15), (2, 0)]
    with pytest.raises(InvalidEncoding):
        tiles_for_leaf(20, 1 << 20)


@pytest.mark.parametrize("depth, size, revoked, leaf", CASES)
def test_python_path_from_tiles_equals_the_tree_path(trees, depth, size, revoked, leaf):
    tree = trees[(depth, size)]
    tiles = tiles_of(tree, leaf)
    bottom = tiles[(0, leaf >> min(8, depth))]
    assert len(bottom) == min(TILE_WIDTH, 1 << depth, size - (leaf >> 8 << 8))  # full or right-edge partial
    path, root = path_from_tiles(depth, leaf, tiles)
    assert path == tree.path(leaf) and root == tree.root
    if leaf in revoked:
        assert bottom[leaf % TILE_WIDTH] == 0


def test_tampered_or_mixed_tiles_are_refused(trees):
    tree = trees[(20, 600)]
    tiles = tiles_of(tree, 300)
    forged = dict(tiles)
    forged[(0, 1)] = [*tiles[(0, 1)][:44], 1, *tiles[(0, 1)][45:]]
    with pytest.raises(InvalidEncoding, match="tile 1/0 does not hold"):
        path_from_tiles(20, 300, forged)
    too_wide = dict(tiles)
    too_wide[(2, 0)] = [0] * 17
    with pytest.raises(InvalidEncoding, match="1 to 16 nodes"):
        path_from_tiles(20, 300, too_wide)
    data = encode_tile(tiles[(0, 1)])
    assert decode_tile(data, TILE_WIDTH) == tiles[(0, 1)]
    for bad in (b"", data[:-1], data + data, (R).to_bytes(32, "big")):
        with pytest.raises(InvalidEncoding):
            decode_tile(bad, TILE_WIDTH)


def hex_tiles(tiles: dict) -> dict:
    return {f"{level}/{index}": encode_tile(nodes).hex() for (level, index), nodes in tiles.items()}


def test_js_path_from_tiles_equals_the_tree_path(trees, node_modules, tmp_path):
    files = wp.export(credential_query_circuit(3), "credential-query-d3-q4-m8")  # carries Poseidon(2)'s constants
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    cases = []
    for depth, size, _, leaf in CASES:
        tiles = tiles_of(trees[(depth, size)], leaf)
        cases.append({"depth": depth, "leaf": leaf, "tiles": hex_tiles(tiles)})
    tiles = tiles_of(trees[(20, 600)], 300)
    tiles[(0, 1)] = [*tiles[(0, 1)][:44], 1, *tiles[(0, 1)][45:]]
    cases.append({"depth": 20, "leaf": 300, "tiles": hex_tiles(tiles)})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(["node", "tests/js/tiles_cases.mjs", str(tmp_path / wp.PROGRAM_FILE),
                           str(tmp_path / wp.CONSTANTS_FILE), str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out.json").read_text())
    for (depth, size, _, leaf), got in zip(CASES, results):
        tree = trees[(depth, size)]
        assert "error" not in got, got
        assert [int(s) for s in got["siblings"]] == list(tree.path(leaf).siblings)
        assert got["indexBits"] == list(tree.path(leaf).index_bits) and int(got["root"]) == tree.root
    assert results[-1]["error"]["name"] == "BadTile" and "tile 1/0 does not hold" in results[-1]["error"]["message"]
    slowest = max(r["ms"] for r in results[:-1])
    print(f"\nJS path from tiles at depth 20: {slowest:.0f} ms at most")
