"""Poseidon in a circuit, equal to zkcore.poseidon (circomlib's parameters).

Each S-box x⁵ costs three constraints (x², x⁴, x⁵); round constants and the MDS matrix are linear
and cost nothing. Width t = len(inputs) + 1: 8·t + R_P S-boxes in all (fewer wires when an input
is a constant: an S-box of a constant is a constant).

A partial round S-boxes cell 0 only, so the other cells stay linear combinations that gain a term
every round, and each S-box input appears three times in the A and B rows. A phone proves with
snarkjs, which spends ~3 µs of JavaScript per A or B coefficient (a depth-20 credential query had
217,000 of them, 0.6 s of its 2.6 s proof). So every `checkpoint_interval(t)` partial rounds the
cells other than 0 become wires, each pinned by a linear constraint 0·0 = cell − wire whose
combination sits in C: a zkey stores no C coefficients (the prover takes C's evaluations from A∘B).
The interval balances t − 1 new wires, each ~WIRE_COST coefficients' worth of multi-scalar
multiplication, against the growth: ~√(2(t − 1)·WIRE_COST/3) rounds.

The permutation is one op of the witness program (`poseidon_hint`, fused): replaying it computes
the S-box and checkpoint wires from numbers instead of evaluating the ever wider linear
combinations the constraints are written with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from zkcore.params import R
from zkcore.poseidon_params import MAX_WIDTH, poseidon_params
from zkcore.r1cs import LinearCombination

from ..dsl import API, portable_hint

# A/B coefficients' worth of snarkjs time one more full-width wire costs in Chromium, estimated from
# its phases on a depth-20 proof: 1.3 s of G1/G2 MSMs over 9,081 wires, 0.6 s for 217,000 coefficients
WIRE_COST = 70


def checkpoint_interval(t: int) -> int:
    """Partial rounds between checkpoints of a width-t permutation."""
    return round(math.sqrt(2 * (t - 1) * WIRE_COST / 3))


def _checkpoint_after(partial_round: int, every: int) -> bool:
    return every > 0 and (partial_round + 1) % every == 0


def _sbox(api: API, x: LinearCombination, name: str) -> LinearCombination:
    x2 = api.mul(x, x, f"{name}: x²")
    x4 = api.mul(x2, x2, f"{name}: x⁴")
    return api.mul(x4, x, f"{name}: x⁵")


@portable_hint("poseidon")
def poseidon_hint(values: Sequence[int], constant_mask: int, every: int) -> list[int]:
    """The wires of one permutation of [0, *values]: x², x⁴, x⁵ of every S-box in round, cell order,
    and after the S-box of every `every`-th partial round the cells 1..t − 1 (checkpoints).

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
        if not full and _checkpoint_after(r - half, every):
            wires += (s for s, c in zip(state[1:], constant[1:]) if not c)
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
    every = checkpoint_interval(t)
    with api.fused("poseidon", state[1:], (constant_mask, every)):
        for r, constants in enumerate(params.round_constants):
            state = [s + c for s, c in zip(state, constants)]
            full = r < half or r >= half + params.partial_rounds
            state = [
                _sbox(api, s, f"{name} round {r} cell {i}") if full or i == 0 else s for i, s in enumerate(state)
            ]
            if not full and _checkpoint_after(r - half, every):
                state[1:] = [api.as_wire(s, f"{name} round {r} cell {i}: checkpoint")
                             for i, s in enumerate(state[1:], 1)]
            state = [sum((s * m for s, m in zip(state, row)), LinearCombination()) for row in params.mds]
    return state[0]
