"""Phase-2 contributions to a Groth16 proving key, and their public verification.

A contribution draws a secret k and replaces δ by k·δ, dividing every [C_i]₁ and [H_j]₁ by k
(their definitions carry 1/δ). Whoever knows all contributions' k could forge proofs; with one
honest contributor who forgot k, nobody can. A contribution is checked with pairings against the
key before it, which is what lets a regulator, a hospital association and an insurer each
contribute and anyone audit the chain:

    e(δ'₁, [1]₂) = e([1]₁, δ'₂)            (δ' is one value in both groups)
    e(δ'₁, δ₂) = e(δ₁, δ'₂)                 (δ'/δ is the same k in both)
    e(Σρ_i·C'_i, δ'₂) = e(Σρ_i·C_i, δ₂)     (every C_i scaled by exactly 1/k; same for H)
    everything else unchanged, and δ' ≠ δ (k = 1 would add nothing)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace

import numpy as np

from .. import field
from ..curve import G1, G2
from ..kernels import curve as kc
from ..pairing import pairing_check
from ..params import R
from .snarkjs import ProvingKey, zkey_bytes

RANDOMIZER_BITS = 128


def key_digest(pk: ProvingKey) -> str:
    """sha256 of the key's .zkey encoding without its transcript section: what contributions chain."""
    return hashlib.sha256(zkey_bytes(replace(pk, contributions=b""))).hexdigest()


@dataclass(frozen=True, slots=True)
class ContributionReceipt:
    """What a contributor publishes: who, which key it started from, and what it produced."""

    name: str
    before: str  # key_digest of the key contributed to
    after: str  # key_digest of the result
    delta_g1: G1
    delta_g2: G2


def contribute(pk: ProvingKey, name: str, rng=None) -> tuple[ProvingKey, ContributionReceipt]:
    """A new key with δ multiplied by a fresh secret k (from `secrets` unless rng is given: tests)."""
    k = rng.randrange(2, R) if rng is not None else 2 + secrets.randbelow(R - 2)
    k_inv = field.to_limbs(pow(k, -1, R))
    vk = replace(pk.vk, delta_g2=pk.vk.delta_g2 * k)
    after = replace(
        pk,
        vk=vk,
        delta_g1=pk.delta_g1 * k,
        c_g1=kc.scale_affine(pk.c_g1, k_inv),
        h_g1=kc.scale_affine(pk.h_g1, k_inv),
        contributions=b"",
    )
    del k
    return after, ContributionReceipt(name, key_digest(pk), key_digest(after), after.delta_g1, vk.delta_g2)


def _random_combination(points: np.ndarray, rho: list[int]) -> G1:
    return G1._from_jacobian(kc.msm(points, field.ints_to_array(rho), kc.msm_window_bits(points.shape[0])))


def verify_contribution(before: ProvingKey, after: ProvingKey, receipt: ContributionReceipt) -> bool:
    """Whether `after` is `before` with δ re-randomised, as `receipt` says."""
    unchanged = (
        before.vk.alpha_g1 == after.vk.alpha_g1
        and before.vk.beta_g2 == after.vk.beta_g2
        and before.vk.gamma_g2 == after.vk.gamma_g2
        and before.vk.ic_g1 == after.vk.ic_g1
        and before.beta_g1 == after.beta_g1
        and (before.n_vars, before.n_public, before.log_domain) == (after.n_vars, after.n_public, after.log_domain)
        and all(np.array_equal(getattr(before, f), getattr(after, f))
                for f in ("a_g1", "b_g1", "b_g2", "coef_matrix", "coef_constraint", "coef_signal", "coef_value"))
        and before.c_g1.shape == after.c_g1.shape
        and before.h_g1.shape == after.h_g1.shape
    )
    if not unchanged:
        return False
    if (receipt.before, receipt.after) != (key_digest(before), key_digest(after)):
        return False
    if (receipt.delta_g1, receipt.delta_g2) != (after.delta_g1, after.vk.delta_g2) or after.delta_g1.is_infinity:
        return False
    if after.delta_g1 == before.delta_g1:  # k = 1 changes nothing and adds no security
        return False
    g1, g2 = G1.generator(), G2.generator()
    d1, d2, n1, n2 = before.delta_g1, before.vk.delta_g2, after.delta_g1, after.vk.delta_g2
    if not pairing_check([(n1, g2), (-g1, n2)]) or not pairing_check([(n1, d2), (-d1, n2)]):
        return False
    for old, new in ((before.c_g1, after.c_g1), (before.h_g1, after.h_g1)):
        rho = [secrets.randbits(RANDOMIZER_BITS) | 1 for _ in range(old.shape[0])]
        if not pairing_check([(_random_combination(new, rho), n2), (-_random_combination(old, rho), d2)]):
            return False
    return True
