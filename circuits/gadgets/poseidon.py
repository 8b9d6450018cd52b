"""Poseidon in a circuit, equal to zkcore.poseidon (circomlib's parameters).

Each S-box x⁵ costs three constraints (x², x⁴, x⁵); round constants and the MDS matrix are linear
and cost nothing. Width t = len(inputs) + 1: 8·t + R_P S-boxes in all.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkcore.poseidon_params import MAX_WIDTH, poseidon_params
from zkcore.r1cs import LinearCombination

from ..dsl import API


def _sbox(api: API, x: LinearCombination, name: str) -> LinearCombination:
    x2 = api.mul(x, x, f"{name}: x²")
    x4 = api.mul(x2, x2, f"{name}: x⁴")
    return api.mul(x4, x, f"{name}: x⁵")


def poseidon(api: API, inputs: Sequence, name: str = "poseidon") -> LinearCombination:
    """Poseidon(inputs) for 1..16 inputs."""
    t = len(inputs) + 1
    if not 2 <= t <= MAX_WIDTH:
        raise ValueError(f"Poseidon takes 1 to {MAX_WIDTH - 1} inputs")
    params = poseidon_params(t)
    half = params.full_rounds // 2
    state = [LinearCombination.constant(0)] + [LinearCombination.of(x) for x in inputs]
    for r, constants in enumerate(params.round_constants):
        state = [s + c for s, c in zip(state, constants)]
        full = r < half or r >= half + params.partial_rounds
        state = [
            _sbox(api, s, f"{name} round {r} cell {i}") if full or i == 0 else s for i, s in enumerate(state)
        ]
        state = [sum((s * m for s, m in zip(state, row)), LinearCombination()) for row in params.mds]
    return state[0]
