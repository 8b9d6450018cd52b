"""Groth16 proving (Groth 2016, section 3.2) against snarkjs proving keys.

With witness w, the R1CS matrices evaluated on the domain ⟨ω⟩ give a_T, b_T and c_T = a_T ⊙ b_T.
The quotient's contribution is evaluated on the coset ω_2n·⟨ω⟩ exactly as snarkjs does, since a
.zkey's H bases are built for it: h = INTT → shift → NTT of each, then a ⊙ b − c there.

    A = α + Σ w_i·[u_i]₁ + r·δ          B = β + Σ w_i·[v_i]₂ + s·δ
    C = Σ_{i>ℓ} w_i·[C_i]₁ + Σ h_j·[H_j]₁ + s·A + r·B₁ − r·s·δ     (B₁ is B computed in G1)
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import field, poly
from ..curve import G1, G2
from ..errors import InvalidEncoding
from ..kernels import ntt as kntt
from ..msm import FixedBases
from ..params import R
from .keys import Proof
from .snarkjs import ProvingKey


@dataclass(frozen=True)
class PreparedKey:
    """A proving key's five bases, each prepared for repeated MSMs (see zkcore.msm)."""

    a_g1: FixedBases
    b_g1: FixedBases
    b_g2: FixedBases
    c_g1: FixedBases
    h_g1: FixedBases

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in (self.a_g1, self.b_g1, self.b_g2, self.c_g1, self.h_g1))

    @property
    def tables(self) -> bool:
        """Whether window tables were built (prepare_proving_key), not just the points."""
        return any(not b.windowed for b in (self.a_g1, self.b_g1, self.b_g2, self.c_g1, self.h_g1))


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREPARING = threading.Lock()


def _bases(pk: ProvingKey, budget: int | None) -> PreparedKey:
    points = (pk.a_g1, pk.b_g1, pk.b_g2, pk.c_g1, pk.h_g1)
    return PreparedKey(*(FixedBases(p) if budget is None else FixedBases(p, budget=budget) for p in points))


def prepare_proving_key(pk: ProvingKey) -> PreparedKey:
    """Window tables for the key's MSMs, for a process that proves with it again and again (a
    service): ~1.4 s and ~70 MB for a 5,654-constraint key, after which every proof is ~1.7×
    faster. Kept for as long as the key lives. Without it, `prove` prepares only the points
    themselves (a few ms) and runs Pippenger's windows one by one."""
    with _PREPARING:
        prepared = _PREPARED.get(pk)
        if prepared is None or not prepared.tables:
            prepared = _bases(pk, None)
            _PREPARED[pk] = prepared
        return prepared


def _prepared(pk: ProvingKey) -> PreparedKey:
    with _PREPARING:
        prepared = _PREPARED.get(pk)
        if prepared is None:
            prepared = _bases(pk, 0)
            _PREPARED[pk] = prepared
        return prepared


def _quotient_evaluations(pk: ProvingKey, w_mont: np.ndarray) -> np.ndarray:
    n = 1 << pk.log_domain
    abc = kntt.constraint_evaluations(pk.coef_matrix, pk.coef_constraint, pk.coef_signal, pk.coef_value, w_mont, n)
    shift = poly.root_of_unity(pk.log_domain + 1)
    odd = poly.coset_from_evaluations(abc, pk.log_domain, shift)
    return field.from_montgomery(kntt.pointwise_mul_sub(odd[0], odd[1], odd[2]), R)


def create_proof(pk: ProvingKey, witness: Sequence[int], r: int, s: int) -> Proof:
    """The proof for `witness` with blinding scalars r and s (deterministic: for test vectors)."""
    if len(witness) != pk.n_vars:
        raise InvalidEncoding(f"the key has {pk.n_vars} wires, the witness {len(witness)}")
    for x in (*witness, r, s):
        field.check_scalar(x, "witness value")
    bases = _prepared(pk)
    w = field.ints_to_array(witness)
    h = _quotient_evaluations(pk, field.to_montgomery(w, R))
    vk = pk.vk
    a = G1._from_jacobian(bases.a_g1(w)) + vk.alpha_g1 + pk.delta_g1 * r
    b = G2._from_jacobian(bases.b_g2(w)) + vk.beta_g2 + vk.delta_g2 * s
    b1 = G1._from_jacobian(bases.b_g1(w)) + pk.beta_g1 + pk.delta_g1 * s
    c = (
        G1._from_jacobian(bases.c_g1(w[pk.n_public + 1 :]))
        + G1._from_jacobian(bases.h_g1(h))
        + a * s
        + b1 * r
        - pk.delta_g1 * (r * s % R)
    )
    return Proof(a, b, c)


def prove(pk: ProvingKey, witness: Sequence[int], rng=None) -> Proof:
    """A zero-knowledge proof for `witness`; r and s come from `secrets` unless rng is given."""
    draw = (lambda: rng.randrange(1, R)) if rng is not None else (lambda: 1 + secrets.randbelow(R - 1))
    return create_proof(pk, witness, draw(), draw())


def public_signals(pk: ProvingKey, witness: Sequence[int]) -> list[int]:
    """The public inputs (wires 1..ℓ) in snarkjs's public.json order."""
    return list(witness[1 : pk.n_public + 1])
