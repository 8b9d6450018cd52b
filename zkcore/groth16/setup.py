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

from .. import field, poly
from ..curve import G1, G2
from ..kernels import curve as kc
from ..pairing import pairing_check
from ..params import R
from .keys import VerifyingKey
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
        and all(
            np.array_equal(getattr(before, f), getattr(after, f))
            for f in ("a_g1", "b_g1", "b_g2", "coef_matrix", "coef_constraint", "coef_signal", "coef_value")
        )
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


# --- single-party setup (tests and demos only) ----------------------------------------------------

SINGLE_PARTY_WARNING = "single-party setup: whoever ran it can forge proofs; for tests and demos only"


def _lagrange_at(tau: int, points: list[int], vanishing: int, scale: int) -> list[int]:
    """scale·vanishing·x_j/(τ − x_j) for every x_j, with one batch inversion."""
    inverses = field.batch_inverse([(tau - x) % R for x in points], R)
    return [scale * vanishing % R * x % R * inv % R for x, inv in zip(points, inverses)]


def setup_r1cs(cs, rng=None) -> ProvingKey:
    """Groth16 keys for a constraint system, from secrets drawn here and discarded.

    The key has snarkjs's shape (extra constraints w_i·0 = 0 for the public wires, H bases for the
    coset ω_2n·⟨ω_n⟩), so snarkjs proves with it once written with write_zkey. Single-party:
    `provenance` says so, and phase-2 contributions (`contribute`) should follow for real use.
    """
    draw = (lambda: rng.randrange(2, R)) if rng is not None else (lambda: 2 + secrets.randbelow(R - 2))
    n_constraints, n_public, n_wires = len(cs.constraints), cs.n_public, cs.n_wires
    log_n = max(1, (n_constraints + n_public + 1 - 1).bit_length())
    n = 1 << log_n
    omega = poly.root_of_unity(log_n)
    domain = [pow(omega, j, R) for j in range(n)]
    while True:
        tau, alpha, beta, gamma, delta = (draw() for _ in range(5))
        if pow(tau, 2 * n, R) != 1:  # τ outside both the domain and its coset
            break
    tau_n = pow(tau, n, R)
    lagrange = _lagrange_at(tau, domain, tau_n - 1, pow(n, -1, R))
    shift = poly.root_of_unity(log_n + 1)
    coset = [shift * x % R for x in domain]
    delta_inv, gamma_inv = pow(delta, -1, R), pow(gamma, -1, R)
    h_scalars = _lagrange_at(tau, coset, (tau_n + 1) * (tau_n - 1), pow(2 * n * delta, -1, R))

    u, v, w = ([0] * n_wires for _ in range(3))
    coefs = []
    for k, (a, b, c) in enumerate(cs.constraints):
        for matrix, lc, acc in ((0, a, u), (1, b, v), (2, c, w)):
            for wire, coeff in lc.terms.items():
                acc[wire] = (acc[wire] + coeff * lagrange[k]) % R
                if matrix < 2:
                    coefs.append((matrix, k, wire, coeff))
    for i in range(n_public + 1):  # snarkjs's extra rows: public wire i in A, nothing in B or C
        u[i] = (u[i] + lagrange[n_constraints + i]) % R
        coefs.append((0, n_constraints + i, i, 1))

    g1_table = kc.fixed_base_table(*G1.generator()._kernel())

    def g1_points(scalars: list[int]) -> np.ndarray:
        return kc.fixed_base_batch(g1_table, field.ints_to_array([s % R for s in scalars]))

    def g1(s: int) -> G1:
        return G1.generator() * s

    def g2(s: int) -> G2:
        return G2.generator() * s

    combined = [(beta * u[i] + alpha * v[i] + w[i]) % R for i in range(n_wires)]
    vk = VerifyingKey(
        g1(alpha), g2(beta), g2(gamma), g2(delta), tuple(g1(x * gamma_inv) for x in combined[: n_public + 1])
    )
    b_g2 = np.array([(G2.generator() * s)._kernel() if s else (G2.infinity()._kernel()) for s in v], dtype=np.uint64)
    matrix, constraint, signal = (np.array([e[i] for e in coefs], dtype=np.int64) for i in range(3))
    pk = ProvingKey(
        vk=vk,
        beta_g1=g1(beta),
        delta_g1=g1(delta),
        n_vars=n_wires,
        n_public=n_public,
        log_domain=log_n,
        a_g1=g1_points(u),
        b_g1=g1_points(v),
        b_g2=b_g2,
        c_g1=g1_points([x * delta_inv for x in combined[n_public + 1 :]]),
        h_g1=g1_points(h_scalars),
        coef_matrix=matrix,
        coef_constraint=constraint,
        coef_signal=signal,
        coef_value=field.to_montgomery(field.ints_to_array([e[3] for e in coefs]), R),
        provenance=SINGLE_PARTY_WARNING,
    )
    return pk


def verify_contributions(keys: list[ProvingKey], receipts: list[ContributionReceipt]) -> bool:
    """Whether keys[i+1] is a verified contribution to keys[i] for every receipt, in order.

    keys[0] is the starting key (e.g. from `setup_r1cs` or snarkjs); the last is the one to use.
    """
    if len(keys) != len(receipts) + 1:
        return False
    return all(verify_contribution(b, a, r) for b, a, r in zip(keys, keys[1:], receipts))
