"""A multi-party Groth16 ceremony: the initial key from a circuit and a phase-1 .ptau, and its audit.

`initial_key` builds what `snarkjs zkey new circuit.r1cs pot.ptau` builds, byte for byte: δ = 1,
and every other element a combination of the ptau's Lagrange-basis points with the R1CS
coefficients, so its [u_i(τ)], [v_i(τ)], IC, L and H come from τ, α, β nobody knows. Contributions
(mpc.py) then re-randomise δ. snarkjs's verifier recomputes this key from the .r1cs and the .ptau
and compares sections, so equality here is what lets `snarkjs zkey verify` accept our keys.

`verify_ceremony` is the same audit in Python: recompute the initial key, check the transcript's
chain (mpc.check_chain), require every section but δ, L, H and the transcript to be identical, and
check with random linear combinations that L and H are the initial ones divided by one common δ:
    e(Σρ_i·L_i, δ₂) = e(Σρ_i·L⁰_i, [1]₂)
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import struct
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field

import numpy as np

from .. import field
from ..curve import G1, G2
from ..kernels import combine as kcombine
from ..kernels import curve as kc
from ..kernels import msm_tables as kt
from ..pairing import pairing_check
from ..params import P, R
from ..r1cs import ConstraintSystem
from .keys import VerifyingKey
from .mpc import Contribution, Transcript, check_chain, parse_transcript
from .ptau import PowersOfTau
from .snarkjs import ProvingKey

RANDOMIZER_BITS = 128
COMBINE_TABLE_BUDGET = 64 << 20
TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1 = 12, 13, 14, 15
CEREMONY_PROVENANCE = "multi-party ceremony (snarkjs phase 2 on a Powers of Tau phase 1)"


def domain_log(cs: ConstraintSystem) -> int:
    """log2 of snarkjs's domain: constraints plus one extra row per public wire and the constant."""
    return max(1, (len(cs.constraints) + cs.n_public + 1 - 1).bit_length())


def _uncompressed(points: np.ndarray) -> bytes:
    """Points as snarkjs hashes them: per coordinate, the standard form big-endian (G2: c1 then c0)."""
    n8 = 64 if points.ndim == 4 else 32
    standard = field.from_montgomery(np.ascontiguousarray(points).reshape(-1, 4), P)
    raw = np.ascontiguousarray(standard, dtype="<u8").view(np.uint8).reshape(-1, n8)
    return np.ascontiguousarray(raw[:, ::-1]).tobytes()


def _point(arr: np.ndarray, i: int, g2: bool):
    if g2:
        return G2._unchecked(field.fq2_from_kernel(arr[i, 0]), field.fq2_from_kernel(arr[i, 1]))
    return G1._unchecked(field.fq_from_kernel(arr[i, 0]), field.fq_from_kernel(arr[i, 1]))


def _negated(points: np.ndarray) -> np.ndarray:
    """−P for affine G1 points: y ↦ p − y (also in Montgomery form); infinity (0, 0) stays."""
    ys = [field.from_limbs(y) for y in points[:, 1]]
    out = points.copy()
    out[:, 1] = field.ints_to_array([(P - y) % P for y in ys]).reshape(-1, 4)
    return out


def _csr(rows: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.array([i for r in rows for i, _ in r], dtype=np.int64)
    scalars = field.ints_to_array([c for r in rows for _, c in r]).reshape(-1, 4)
    return indptr, indices, scalars


def _window_bits(n_terms: int, n_rows: int, n_bases: int) -> int:
    """The window for _combine: a term costs a bucket addition per window, a row two additions per
    bucket (each 1.5 times dearer), a table entry about one normalisation (the doublings, ~255 per
    base, do not depend on the window)."""
    return min(range(3, 9), key=lambda c: (n_terms + n_bases) * kt.windows_for(c) + n_rows * (3 << (c - 1)))


def _combine(bases: np.ndarray, *groups: list[list[tuple[int, int]]], budget: int = COMBINE_TABLE_BUDGET
             ) -> list[np.ndarray]:
    """For each group of rows, for each row, Σ coefficient·bases[index] over its (index, coefficient)
    terms, affine. Groups over the same bases share one set of window tables.

    The tables are made for as many windows at a time as fit `budget` bytes (a power-11 circuit's
    fit at once; a public power-20 file's would not); each group's last table column,
    2^(c·windows)·P, is where the next group starts.
    """
    rows = [row for group in groups for row in group]
    indptr, indices, scalars = _csr(rows)
    c = _window_bits(indices.size, len(rows), bases.shape[0])
    nwin = kt.windows_for(c)
    digits = kc.signed_digits(scalars, c, nwin)
    acc = np.zeros((len(rows), 3) + bases.shape[2:], dtype=np.uint64)  # Z = 0: infinity
    # a table entry, its Jacobian twin while the tables are made, and the entry itself: ~2.5 points
    per_window = max(1, bases.shape[0] * bases[0].nbytes * 5 // 2)
    step = max(1, min(nwin, budget // per_window - 1))
    start = bases
    for first in range(0, nwin if indices.size and bases.shape[0] else 0, step):
        count = min(step, nwin - first)
        more = first + count < nwin
        tables = kt.window_tables(start, c, count + 1 if more else count)
        window_digits = np.ascontiguousarray(digits[:, first : first + count])
        kcombine.add_window_combinations(tables, indptr, indices, window_digits, c, acc)
        if more:
            start = np.ascontiguousarray(tables[:, count])
    out = kcombine.jacobian_to_affine(acc)
    bounds = np.cumsum([0] + [len(group) for group in groups])
    return [out[lo:hi] for lo, hi in itertools.pairwise(bounds)]


def _combine_python(bases: np.ndarray, indptr: np.ndarray, indices: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """Pure-Python twin of kernels.combine.sparse_combinations (for the parity test)."""
    g2 = bases.ndim == 4
    out = []
    for r in range(indptr.shape[0] - 1):
        acc = G2.infinity() if g2 else G1.infinity()
        for t in range(indptr[r], indptr[r + 1]):
            acc = acc + _point(bases, int(indices[t]), g2) * field.from_limbs(scalars[t])
        out.append(acc._kernel())
    return np.array(out, dtype=np.uint64).reshape((indptr.shape[0] - 1,) + bases.shape[1:])


@dataclass
class _Rows:
    """Per output point, its terms; built in snarkjs's order so equal points come out."""

    a: list = dataclass_field(default_factory=list)
    b1: list = dataclass_field(default_factory=list)
    b2: list = dataclass_field(default_factory=list)
    ic: list = dataclass_field(default_factory=list)
    c: list = dataclass_field(default_factory=list)


def initial_key(cs: ConstraintSystem, ptau: PowersOfTau) -> ProvingKey:
    """The ceremony's starting key for `cs` (δ = 1); its transcript holds the circuit hash only.

    Terms are taken in the order write_r1cs writes them (sorted by wire), as snarkjs reads them.
    """
    log_n = domain_log(cs)
    if log_n > ptau.power:
        raise ValueError(f"the circuit needs a Powers of Tau of power ≥ {log_n}; this one has power {ptau.power}")
    n_public, n_vars, n_constraints = cs.n_public, cs.n_wires, len(cs.constraints)
    n = 1 << log_n
    tau1, tau2 = ptau.lagrange(TAU_G1, log_n), ptau.lagrange(TAU_G2, log_n)
    # IC and L mix three bases: [L_k(τ)]₁ for C terms, [α·L_k(τ)]₁ for B terms, [β·L_k(τ)]₁ for A terms.
    mixed_bases = np.concatenate([tau1, ptau.lagrange(ALPHA_TAU_G1, log_n), ptau.lagrange(BETA_TAU_G1, log_n)])
    tau_at, alpha_at, beta_at = 0, n, 2 * n
    rows = _Rows(*([[] for _ in range(n_vars)] for _ in range(3)), [[] for _ in range(n_public + 1)],
                 [[] for _ in range(n_vars - n_public - 1)])

    def mixed(wire: int) -> list:  # IC for public wires, C (L) for the others
        return rows.ic[wire] if wire <= n_public else rows.c[wire - n_public - 1]

    coefs: list[tuple[int, int, int, int]] = []
    for k, (a, b, c) in enumerate(cs.constraints):
        for wire, coeff in sorted(a.terms.items()):
            rows.a[wire].append((k, coeff))
            mixed(wire).append((beta_at + k, coeff))
            coefs.append((0, k, wire, coeff))
        for wire, coeff in sorted(b.terms.items()):
            rows.b1[wire].append((k, coeff))
            rows.b2[wire].append((k, coeff))
            mixed(wire).append((alpha_at + k, coeff))
            coefs.append((1, k, wire, coeff))
        for wire, coeff in sorted(c.terms.items()):
            mixed(wire).append((tau_at + k, coeff))
    for s in range(n_public + 1):  # snarkjs's extra rows: public wire s alone in A
        rows.a[s].append((n_constraints + s, 1))
        rows.ic[s].append((beta_at + n_constraints + s, 1))
        coefs.append((0, n_constraints + s, s, 1))

    h = ptau.lagrange(TAU_G1, log_n + 1)[1::2].copy()  # Lagrange basis of the 2n domain at the odd points
    matrix, constraint, signal = (np.array([e[i] for e in coefs], dtype=np.int64) for i in range(3))
    ic, c_g1 = _combine(mixed_bases, rows.ic, rows.c)
    a_g1, b_g1 = _combine(tau1, rows.a, rows.b1)
    (b_g2,) = _combine(tau2, rows.b2)
    vk = VerifyingKey(ptau.alpha_g1, ptau.beta_g2, G2.generator(), G2.generator(),
                      tuple(_point(ic, i, False) for i in range(n_public + 1)))
    pk = ProvingKey(
        vk=vk,
        beta_g1=ptau.beta_g1,
        delta_g1=G1.generator(),
        n_vars=n_vars,
        n_public=n_public,
        log_domain=log_n,
        a_g1=a_g1,
        b_g1=b_g1,
        b_g2=b_g2,
        c_g1=c_g1,
        h_g1=h,
        coef_matrix=matrix,
        coef_constraint=constraint,
        coef_signal=signal,
        coef_value=field.to_montgomery(field.ints_to_array([e[3] for e in coefs]), R),
        provenance=CEREMONY_PROVENANCE,
    )
    transcript = Transcript(circuit_hash(pk, ptau, n))
    return _with_transcript(pk, transcript)


def _with_transcript(pk: ProvingKey, transcript: Transcript) -> ProvingKey:
    return replace(pk, contributions=transcript.to_bytes())


def _u32_be(n: int) -> bytes:
    return struct.pack(">I", n)


def circuit_hash(pk: ProvingKey, ptau: PowersOfTau, n: int) -> bytes:
    """snarkjs's circuit hash: blake2b-512 over the initial key's points in the order `zkey new`
    feeds them (header points, then IC, the H differences [τ^(i+n) − τ^i]₁, L, A, B1, B2; each list
    preceded by its length as a big-endian u32)."""
    h = hashlib.blake2b(digest_size=64)
    for p in (pk.vk.alpha_g1, pk.beta_g1, pk.vk.beta_g2, pk.vk.gamma_g2, pk.delta_g1, pk.vk.delta_g2):
        h.update(p.to_bytes())
    ic = np.array([p._kernel() for p in pk.vk.ic_g1], dtype=np.uint64)
    h.update(_u32_be(ic.shape[0]) + _uncompressed(ic))
    h.update(_u32_be(n - 1))
    # snarkjs walks the H differences in chunks of 2^14 points of min(n − 1, 2^14) each.
    chunk = 1 << 14
    for start in range(0, n - 1, chunk):
        count = min(n - 1, chunk)
        powers = ptau.tau_powers_g1(start + n + count)
        # [τ^(i+n)]₁ + (−[τ^i]₁): scalars of one cost one addition in the double-and-add kernel
        bases = np.concatenate([powers, _negated(powers[start : start + count])])
        rows = [[(i + n, 1), (len(powers) + i - start, 1)] for i in range(start, start + count)]
        h.update(_uncompressed(kcombine.sparse_combinations(bases, *_csr(rows))))
    for arr in (pk.c_g1, pk.a_g1, pk.b_g1, pk.b_g2):
        h.update(_u32_be(arr.shape[0]) + _uncompressed(arr))
    return h.digest()


# --- the audit -----------------------------------------------------------------------------------


@dataclass
class CeremonyReport:
    circuit_hash: bytes
    contributions: tuple[Contribution, ...]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _random_combination(points: np.ndarray, rho: list[int]) -> G1:
    return G1._from_jacobian(kc.msm(points, field.ints_to_array(rho), kc.msm_window_bits(points.shape[0])))


def verify_ceremony(cs: ConstraintSystem, ptau: PowersOfTau, final: ProvingKey,
                    initial: ProvingKey | None = None) -> CeremonyReport:
    """Whether `final` descends from the initial key of `cs` and `ptau` through its transcript.

    A broken chain is reported at once (checking it costs pairings; rebuilding the initial key costs
    one pass over the circuit's terms).
    """
    transcript = parse_transcript(final.contributions)
    delta, problems = check_chain(transcript)
    if not transcript.contributions:
        problems.append("no contributions: δ is still 1, so anyone could forge proofs")
    if problems:
        return CeremonyReport(transcript.circuit_hash, transcript.contributions, problems)
    initial = initial or initial_key(cs, ptau)
    if transcript.circuit_hash != parse_transcript(initial.contributions).circuit_hash:
        problems.append("the key's circuit hash is not this circuit's with this Powers of Tau")
    same = (
        (final.n_vars, final.n_public, final.log_domain) == (initial.n_vars, initial.n_public, initial.log_domain)
        and final.vk.alpha_g1 == initial.vk.alpha_g1
        and final.beta_g1 == initial.beta_g1
        and final.vk.beta_g2 == initial.vk.beta_g2
        and final.vk.gamma_g2 == initial.vk.gamma_g2
        and final.vk.ic_g1 == initial.vk.ic_g1
        and all(np.array_equal(getattr(final, f), getattr(initial, f))
                for f in ("a_g1", "b_g1", "b_g2", "coef_matrix", "coef_constraint", "coef_signal", "coef_value"))
        and final.c_g1.shape == initial.c_g1.shape
        and final.h_g1.shape == initial.h_g1.shape
    )
    if not same:
        problems.append("the key differs from the circuit's initial key outside δ, L and H")
    if final.delta_g1 != delta:
        problems.append("the key's δ in G1 is not the last contribution's")
    g1, g2 = G1.generator(), G2.generator()
    if not pairing_check([(final.delta_g1, g2), (-g1, final.vk.delta_g2)]):
        problems.append("the key's δ in G2 does not match its δ in G1")
    if same and not problems:
        for name, old, new in (("L", initial.c_g1, final.c_g1), ("H", initial.h_g1, final.h_g1)):
            rho = [secrets.randbits(RANDOMIZER_BITS) | 1 for _ in range(old.shape[0])]
            scaled, initial_sum = _random_combination(new, rho), _random_combination(old, rho)
            if not pairing_check([(scaled, final.vk.delta_g2), (-initial_sum, g2)]):
                problems.append(f"the key's {name} points are not the initial ones divided by δ")
    return CeremonyReport(transcript.circuit_hash, transcript.contributions, problems)
