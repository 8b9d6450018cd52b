"""Poseidon commitment trees: paths, revocation, batch rebuild, resumable frontiers."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkcore.errors import InvalidEncoding, InvalidProof
from zkcore.merkle import Frontier, MerklePath, PoseidonTree, verify_path, zero_hashes
from zkcore.merkle.poseidon_tree import check_frontier, root_from_path
from zkcore.params import R
from zkcore.poseidon import poseidon


def naive_root(depth, leaves):
    level = list(leaves) + [0] * ((1 << depth) - len(leaves))
    for _ in range(depth):
        level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
    return level[0]


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_roots_match_the_definition_for_every_fill(depth):
    rng = random.Random(depth)
    leaves = [rng.randrange(R) for _ in range(1 << depth)]
    tree = PoseidonTree(depth)
    assert tree.root == naive_root(depth, []) == zero_hashes(depth)[depth]
    for n in range(1, len(leaves) + 1):
        tree.append(leaves[n - 1])
        assert tree.root == naive_root(depth, leaves[:n]) == PoseidonTree.from_leaves(depth, leaves[:n]).root
        for i in range(n):
            assert verify_path(tree.root, leaves[i], tree.path(i))


def test_paths_fail_for_the_wrong_leaf_index_or_root():
    rng = random.Random(5)
    leaves = [rng.randrange(R) for _ in range(20)]
    tree = PoseidonTree.from_leaves(8, leaves)
    path = tree.path(7)
    assert path.index_bits == (1, 1, 1, 0, 0, 0, 0, 0)
    assert not verify_path(tree.root, leaves[6], path)
    assert not verify_path(tree.root, leaves[7], MerklePath(6, path.siblings))
    assert not verify_path(tree.root + 1, leaves[7], path)
    with pytest.raises(InvalidEncoding):
        verify_path(tree.root, leaves[7], MerklePath(1 << 8, path.siblings))
    with pytest.raises(InvalidEncoding):
        root_from_path(R, path)


def test_revocation_updates_the_root_and_invalidates_the_old_path():
    rng = random.Random(6)
    leaves = [rng.randrange(R) for _ in range(9)]
    tree = PoseidonTree.from_leaves(6, leaves)
    old_root, old_path = tree.root, tree.path(4)
    tree.update(4, 0)
    assert tree.root != old_root
    assert tree.root == naive_root(6, leaves[:4] + [0] + leaves[5:])
    assert not verify_path(tree.root, leaves[4], tree.path(4))
    assert verify_path(old_root, leaves[4], old_path)  # the old root still proves it: roots expire, see the ledger
    for i in (0, 3, 5, 8):
        assert verify_path(tree.root, leaves[i], tree.path(i))
    with pytest.raises(IndexError):
        tree.update(9, 1)


def test_capacity_and_input_checks():
    tree = PoseidonTree(2)
    tree.extend([1, 2, 3, 4])
    with pytest.raises(ValueError):
        tree.append(5)
    with pytest.raises(InvalidEncoding):
        PoseidonTree(3).append(R)
    for depth in (0, 33):
        with pytest.raises(ValueError):
            PoseidonTree(depth)


def test_depth_32_tree_works():
    tree = PoseidonTree(32)
    tree.extend([11, 22, 33])
    assert verify_path(tree.root, 33, tree.path(2))
    assert len(tree.path(2).siblings) == 32


@settings(max_examples=15)
@given(st.lists(st.integers(0, R - 1), max_size=40), st.integers(1, 10))
def test_frontier_resumes_appends_and_round_trips(leaves, depth):
    leaves = leaves[: 1 << depth]
    frontier = Frontier.empty(depth)
    for leaf in leaves:
        frontier = frontier.append(leaf)
    tree = PoseidonTree.from_leaves(depth, leaves)
    assert frontier == tree.frontier()
    assert frontier.root == tree.root
    assert Frontier.from_bytes(frontier.to_bytes()) == frontier
    check_frontier(frontier, leaves)


def test_frontier_rejects_bad_bytes_and_mismatched_leaves():
    frontier = Frontier.empty(4).append(9)
    data = frontier.to_bytes()
    for bad in (b"", data[:-1], b"XXXX" + data[4:], data + b"\0"):
        with pytest.raises(InvalidEncoding):
            Frontier.from_bytes(bad)
    with pytest.raises(InvalidProof):
        check_frontier(frontier, [8])


@given(st.lists(st.integers(0, R - 1), min_size=0, max_size=40), st.data())
def test_truncate_undoes_an_append(leaves, data):
    keep = data.draw(st.integers(0, len(leaves)))
    tree = PoseidonTree.from_leaves(6, leaves)
    tree.truncate(keep)
    expected = PoseidonTree.from_leaves(6, leaves[:keep])
    assert tree.root == expected.root and tree.size == keep and tree.frontier() == expected.frontier()
    tree.extend([5, 6])  # and appends continue from there
    assert tree.root == PoseidonTree.from_leaves(6, [*leaves[:keep], 5, 6]).root
