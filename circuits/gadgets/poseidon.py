"""Poseidon in a circuit, equal to zkcore.poseidon (circomlib's parameters).

Each S-box x⁵ costs three constraints (x², x⁴, x⁵); round constants and the MDS matrix are linear
and cost nothing. Width t = len(inputs) + 1: 8·t + R_P S-boxes in all (fewer wires when an input
is a constant: an S-box of a constant is a constant).

The permutation is one op of the witness program (`poseidon_hint`, fused): replaying it computes
the S-box wires from numbers instead of evaluating the ever wider linear combinations the
constraints are written with.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkcore.params import R
from zkcore.poseidon_params import MAX_WIDTH, poseidon_params
from zkcore.r1cs import LinearCombination

from ..dsl import API, portable_hint


def _sbox(api: API, x: LinearCombination, name: str) -> LinearCombination:
    x2 = api.mul(x, x, f"{name}: x²")
    x4 = api.mul(x2, x2, f"{name}: x⁴")
    return api.mul(x4, x, f"{name}: x⁵")


@portable_hint("poseidon")
def poseidon_hint(values: Sequence[int], constant_mask: int) -> list[int]:
    """The wires of one permutation of [0, *values]: x², x⁴, x⁵ of every S-box in round, cell order.

    Bit i of constant_mask: state cell i was a constant when the circuit was compiled; its S-boxes
    stay constants (no wires) until the first linear layer mixes a non-constant cell in."""
    t = len(values) + 1
    params = poseidon_params(t)
    half = params.full_rounds // 2
    state = [0, *values]
    constant = [bool(constant_mask >> i & 1) for i in range(t)]
    wires = []
    for r, constants in enumerate(params.round_constants):
        state = [(s + c) % R for s, c in zip(state, constants)]
        full = r < half or r >= half + params.partial_rounds
        for i in range(t if full else 1):
            x = state[i]
            x2 = x * x % R
            x4 = x2 * x2 % R
            state[i] = x4 * x % R
            if not constant[i]:
                wires += (x2, x4, state[i])
        state = [sum(s * m for s, m in zip(state, row)) % R for row in params.mds]
        if not all(constant):
            constant = [False] * t
    return wires


def poseidon(api: API, inputs: Sequence, name: str = "poseidon") -> LinearCombination:
    """Poseidon(inputs) for 1..16 inputs."""
    t = len(inputs) + 1
    if not 2 <= t <= MAX_WIDTH:
        raise ValueError(f"Poseidon takes 1 to {MAX_WIDTH - 1} inputs")
    params = poseidon_params(t)
    half = params.full_rounds // 2
    state = [LinearCombination.constant(0)] + [LinearCombination.of(x) for x in inputs]
    constant_mask = sum(1 << i for i, s in enumerate(state) if s.constant_value() is not None)
    with api.fused("poseidon", state[1:], (constant_mask,)):
        for r, constants in enumerate(params.round_constants):
            state = [s + c for s, c in zip(state, constants)]
            full = r < half or r >= half + params.partial_rounds
            state = [
                _sbox(api, s, f"{name} round {r} cell {i}") if full or i == 0 else s for i, s in enumerate(state)
            ]
            state = [sum((s * m for s, m in zip(state, row)), LinearCombination()) for row in params.mds]
    return state[0]
