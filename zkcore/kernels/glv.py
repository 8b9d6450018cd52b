"""The GLV endomorphism of BN254 G1: φ(x, y) = (β·x, y) = λ·(x, y), β³ = 1 in Fq, λ³ = 1 in Fr.

A scalar k < r splits as k ≡ k₁ + k₂·λ (mod r) with |k₁|, |k₂| < 2^128, so k·P = k₁·P + k₂·φ(P):
an MSM of n points by 254-bit scalars becomes one of 2n points by 128-bit ones, half as many
Pippenger windows (the bucket additions stay n·254/c; the per-window reductions halve).

The split is Babai's rounding against a short basis v₁ = (a₁, b₁), v₂ = (a₂, b₂) of the lattice
{(x, y) : x + y·λ ≡ 0 (mod r)}, found by the extended Euclidean algorithm on (r, λ) (GLV 2001,
section 4). With c_i ≈ k·B_i/r (B₁ = b₂, B₂ = −b₁) taken as ⌊k·g_i / 2^256⌋ for
g_i = round(B_i·2^256/r): k₁ = k − c₁a₁ − c₂a₂ and k₂ = −c₁b₁ − c₂b₂. Each c_i is within
(−1/8, 9/8) of the exact quotient, so |k₁| < 9/8·(|a₁| + |a₂|) and |k₂| < 9/8·(|b₁| + |b₂|), both
below 2^128 (checked below). The kernel computes k₁ and k₂ modulo 2^256 (two's complement),
exact since both are small.

`split_py` is the pure-Python twin of `glv_split` (the same formulas on Python ints).
"""

from math import isqrt

import numpy as np
from numba import njit

from .constants import P as _P_INT
from .constants import R as _R_INT
from .fields import fq_mul, mul_wide
from .limbs import adc, sbb

BETA = 2203960485148121921418603742825762020974279258880205651966  # in Fq, order 3
LAMBDA = 4407920970296243842393367215006156084916469457145843978461  # in Fr: λ·(x, y) = (β·x, y)
GLV_BITS = 128  # |k₁|, |k₂| < 2^GLV_BITS


def _short_basis(r: int, lam: int):
    """Two short vectors (a, b) with a + b·λ ≡ 0 (mod r), from the remainders of Euclid on (r, λ)."""
    seq = [(r, 0), (lam, 1)]  # (remainder ρ, t) with ρ ≡ t·λ (mod r)
    while seq[-1][0]:
        (r0, t0), (r1, t1) = seq[-2], seq[-1]
        q = r0 // r1
        seq.append((r0 - q * r1, t0 - q * t1))
    last = max(i for i, (rho, _) in enumerate(seq) if rho >= isqrt(r))
    v1 = (seq[last + 1][0], -seq[last + 1][1])
    neighbours = ((seq[last][0], -seq[last][1]), (seq[last + 2][0], -seq[last + 2][1]))
    v2 = min(neighbours, key=lambda v: v[0] ** 2 + v[1] ** 2)
    if v1[0] * v2[1] - v2[0] * v1[1] < 0:
        v1, v2 = v2, v1
    return v1, v2


(A1, B1), (A2, B2) = _short_basis(_R_INT, LAMBDA)
_DET = A1 * B2 - A2 * B1
assert _DET == _R_INT and pow(BETA, 3, _P_INT) == 1 and pow(LAMBDA, 3, _R_INT) == 1
assert 9 * (abs(A1) + abs(A2)) < 8 << GLV_BITS and 9 * (abs(B1) + abs(B2)) < 8 << GLV_BITS
G1_ROUND = (B2 * (1 << 256) + _DET // 2) // _DET
G2_ROUND = (-B1 * (1 << 256) + _DET // 2) // _DET
assert G1_ROUND > 0 and G2_ROUND > 0


def split_py(k: int) -> tuple[int, int]:
    """(k₁, k₂), signed, with k₁ + k₂·λ ≡ k (mod r), for 0 ≤ k < r."""
    c1 = k * G1_ROUND >> 256
    c2 = k * G2_ROUND >> 256
    return k - c1 * A1 - c2 * A2, -c1 * B1 - c2 * B2


def _limbs(x: int):
    x %= 1 << 256  # two's complement for negative constants
    return tuple(np.uint64((x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


_G1, _G2 = _limbs(G1_ROUND), _limbs(G2_ROUND)
_A1, _A2, _B1, _B2 = _limbs(A1), _limbs(A2), _limbs(B1), _limbs(B2)
_BETA_MONT = _limbs(BETA * (1 << 256) % _P_INT)
_ZERO = np.uint64(0)
_TOP = np.uint64(63)


@njit(inline="always", cache=True)
def _high(a, b):
    """⌊a·b / 2^256⌋."""
    t = mul_wide(a, b)
    return (t[4], t[5], t[6], t[7])


@njit(inline="always", cache=True)
def _low(a, b):
    """a·b mod 2^256."""
    t = mul_wide(a, b)
    return (t[0], t[1], t[2], t[3])


@njit(inline="always", cache=True)
def _add(a, b):
    s0, c = adc(a[0], b[0], _ZERO)
    s1, c = adc(a[1], b[1], c)
    s2, c = adc(a[2], b[2], c)
    s3, c = adc(a[3], b[3], c)
    return (s0, s1, s2, s3)


@njit(inline="always", cache=True)
def _sub(a, b):
    d0, c = sbb(a[0], b[0], _ZERO)
    d1, c = sbb(a[1], b[1], c)
    d2, c = sbb(a[2], b[2], c)
    d3, c = sbb(a[3], b[3], c)
    return (d0, d1, d2, d3)


@njit(inline="always", cache=True)
def _store_signed(out, neg, row, v):
    """|v| into out[row] and its sign into neg[row], for v in two's complement."""
    if v[3] >> _TOP:
        v = _sub((_ZERO, _ZERO, _ZERO, _ZERO), v)
        neg[row] = True
    for j in range(4):
        out[row, j] = v[j]


@njit(cache=True, nogil=True)
def glv_split(scalars):
    """For scalars (n, 4) standard limbs < r: magnitudes (2n, 4) and signs (2n,) of k₁ (rows 0..n−1)
    and k₂ (rows n..2n−1), each magnitude < 2^128."""
    n = scalars.shape[0]
    out = np.zeros((2 * n, 4), dtype=np.uint64)
    neg = np.zeros(2 * n, dtype=np.bool_)
    for i in range(n):
        k = (scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3])
        c1 = _high(k, _G1)
        c2 = _high(k, _G2)
        _store_signed(out, neg, i, _sub(_sub(k, _low(c1, _A1)), _low(c2, _A2)))
        _store_signed(out, neg, n + i, _sub((_ZERO, _ZERO, _ZERO, _ZERO), _add(_low(c1, _B1), _low(c2, _B2))))
    return out, neg


@njit(cache=True, nogil=True)
def with_endomorphism(points):
    """Affine G1 points (n, 2, 4), Montgomery, followed by their images φ(P) = (β·x, y): (2n, 2, 4).
    Infinity (0, 0) maps to itself."""
    n = points.shape[0]
    out = np.empty((2 * n, 2, 4), dtype=np.uint64)
    out[:n] = points
    for i in range(n):
        x = (points[i, 0, 0], points[i, 0, 1], points[i, 0, 2], points[i, 0, 3])
        bx = fq_mul(x, _BETA_MONT)
        for j in range(4):
            out[n + i, 0, j] = bx[j]
            out[n + i, 1, j] = points[i, 1, j]
    return out
