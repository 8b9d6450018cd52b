"""Groth16 verification: single, and batched over many proofs with one final exponentiation.

A proof verifies iff e(A, B) = e(α, β) · e(L, γ) · e(C, δ) with L = Σ x_i·IC_i (x₀ = 1).
Checked as e(−A, B) · e(L, γ) · e(C, δ) · e(α, β) = 1: three Miller loops (γ's and δ's lines
prepared once per key, e(α, β)'s Miller value cached) and one final exponentiation.

Malformed input (wrong number of public inputs, a value ≥ r, a point that is not a point)
raises a ZkError subclass; a well-formed proof of a false statement returns False.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import field
from ..curve import G1, msm
from ..errors import InvalidEncoding
from ..kernels import curve as kc
from ..kernels import pairing as kp
from ..pairing import PreparedG2, miller_loop, pairing_check, prepare_g2
from ..params import R
from .keys import Proof, VerifyingKey

BATCH_RANDOMIZER_BITS = 128


@dataclass(frozen=True, slots=True, eq=False)
class PreparedVerifyingKey:
    """A verifying key with everything that does not depend on the proof computed ahead."""

    vk: VerifyingKey
    alpha_beta_miller: np.ndarray  # Miller-loop value of e(α, β), before final exponentiation
    beta: PreparedG2
    gamma: PreparedG2
    delta: PreparedG2
    ic_tables: np.ndarray  # fixed-base tables of IC₀..IC_ℓ
    alpha_table: np.ndarray  # fixed-base table of α, for batch verification

    def public_input_sum(self, scalars: Sequence[int]) -> G1:
        """Σ scalars[i]·IC_i with scalars already reduced mod r."""
        return G1._from_jacobian(kc.fixed_base_msm(self.ic_tables, field.ints_to_array(scalars)))


@lru_cache(maxsize=64)
def _prepare_cached(vk: VerifyingKey) -> PreparedVerifyingKey:
    return PreparedVerifyingKey(
        vk=vk,
        alpha_beta_miller=miller_loop([(vk.alpha_g1, vk.beta_g2)]),
        beta=prepare_g2(vk.beta_g2),
        gamma=prepare_g2(vk.gamma_g2),
        delta=prepare_g2(vk.delta_g2),
        ic_tables=np.stack([kc.fixed_base_table(*p._kernel()) for p in vk.ic_g1]),
        alpha_table=kc.fixed_base_table(*vk.alpha_g1._kernel())[None],
    )


def prepare_verifying_key(vk: VerifyingKey | PreparedVerifyingKey) -> PreparedVerifyingKey:
    """Precompute for a key (cached: preparing the same key twice costs a dictionary look-up)."""
    if isinstance(vk, PreparedVerifyingKey):
        return vk
    if not isinstance(vk, VerifyingKey):
        raise TypeError("expected a VerifyingKey")
    return _prepare_cached(vk)


def _check_inputs(pvk: PreparedVerifyingKey, public_inputs: Sequence[int]) -> list[int]:
    if not isinstance(public_inputs, (list, tuple)):
        raise InvalidEncoding("public inputs must be a list of integers")
    if len(public_inputs) != pvk.vk.n_public:
        raise InvalidEncoding(f"the key expects {pvk.vk.n_public} public inputs, got {len(public_inputs)}")
    return [field.check_scalar(x, f"public input {i}") for i, x in enumerate(public_inputs)]


def _check_proof(proof: Proof) -> Proof:
    if not isinstance(proof, Proof):
        raise InvalidEncoding("expected a Groth16 Proof")
    return proof


def verify(vk: VerifyingKey | PreparedVerifyingKey, proof: Proof, public_inputs: Sequence[int]) -> bool:
    """Whether `proof` proves the circuit's statement for `public_inputs`.

    The points inside `proof` were validated (canonical, on curve, B in the G2 subgroup) when
    the Proof was built, which no code path skips.
    """
    pvk = prepare_verifying_key(vk)
    inputs = _check_inputs(pvk, public_inputs)
    proof = _check_proof(proof)
    acc = kc.fixed_base_msm_affine(pvk.ic_tables, field.ints_to_array([1] + inputs))
    if proof.a.is_infinity or proof.b.is_infinity or proof.c.is_infinity or not acc.any():
        # Rare shapes where a pair drops out of the product: take the general path.
        acc_point = pvk.public_input_sum([1] + inputs)
        return pairing_check([(-proof.a, proof.b), (acc_point, pvk.gamma), (proof.c, pvk.delta)], pvk.alpha_beta_miller)
    g1 = np.stack([np.array((-proof.a)._kernel(), dtype=np.uint64), acc, np.array(proof.c._kernel(), dtype=np.uint64)])
    lines = np.stack([kp.g2_lines(*proof.b._kernel()), pvk.gamma.lines, pvk.delta.lines])
    return bool(kp.final_exponentiation_is_one(kp.miller_loop_array(g1, lines, pvk.alpha_beta_miller)))


def batch_verify(
    vk: VerifyingKey | PreparedVerifyingKey,
    items: Sequence[tuple[Proof, Sequence[int]]],
    randomizers: Sequence[int] | None = None,
) -> bool:
    """Whether every (proof, public inputs) pair verifies, at N + 3 Miller loops and one final
    exponentiation for N proofs.

    Checks Π e(−ρ_i·A_i, B_i) · e(Σρ_i·L_i, γ) · e(Σρ_i·C_i, δ) · e((Σρ_i)·α, β) = 1 with secret
    random 128-bit ρ_i: a batch containing a false proof passes with probability ≤ 2⁻¹²⁸.
    `randomizers` is for tests only; leave it None.
    """
    pvk = prepare_verifying_key(vk)
    if not items:
        return True
    checked = [(_check_proof(p), _check_inputs(pvk, x)) for p, x in items]
    if randomizers is None:
        randomizers = [secrets.randbits(BATCH_RANDOMIZER_BITS) | 1 for _ in checked]
    if len(randomizers) != len(checked) or any(not 0 < rho < R for rho in randomizers):
        raise ValueError("one non-zero randomizer below r per item")
    ic_scalars = [0] * (pvk.vk.n_public + 1)
    for rho, (_, inputs) in zip(randomizers, checked):
        ic_scalars[0] += rho
        for j, x in enumerate(inputs, start=1):
            ic_scalars[j] += rho * x
    ic_scalars = [s % R for s in ic_scalars]
    acc_l = pvk.public_input_sum(ic_scalars)
    acc_c = msm([p.c for p, _ in checked], randomizers)
    acc_alpha = G1._from_jacobian(kc.fixed_base_msm(pvk.alpha_table, field.ints_to_array([ic_scalars[0]])))
    pairs = [(-(p.a * rho), p.b) for rho, (p, _) in zip(randomizers, checked)]
    pairs += [(acc_l, pvk.gamma), (acc_c, pvk.delta), (acc_alpha, pvk.beta)]
    return pairing_check(pairs)
