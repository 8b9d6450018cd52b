"""Membership in a Poseidon Merkle tree (zkcore.merkle.PoseidonTree): the root a leaf and its path imply.

Per level: the index bit is asserted boolean and orders the pair with one multiplication
(left = node + bit·(sibling − node), right = node + sibling − left), then one Poseidon(2).
"""

from __future__ import annotations

from collections.abc import Sequence

from zkcore.r1cs import LinearCombination

from ..dsl import API
from .poseidon import poseidon


def merkle_root(api: API, leaf, siblings: Sequence, index_bits: Sequence, name: str = "merkle") -> LinearCombination:
    """The root for `leaf` at the position given by `index_bits` (LSB first, bit 1: node is a right child)."""
    if len(siblings) != len(index_bits):
        raise ValueError("one index bit per sibling")
    node = LinearCombination.of(leaf)
    for level, (sibling, bit) in enumerate(zip(siblings, index_bits)):
        api.assert_bool(bit, f"{name} level {level}: index bit is 0 or 1")
        left = node + api.mul(bit, LinearCombination.of(sibling) - node, f"{name} level {level}: order")
        right = node + sibling - left
        node = poseidon(api, [left, right], f"{name} level {level}")
    return node
