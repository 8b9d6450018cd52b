"""Optimal ate pairing on BN254: line precomputation, multi-Miller loop, final exponentiation.

e(P, Q) = f_{6x+2,Q}(P) · l_{[6x+2]Q, π(Q)}(P) · l_{…, −π²(Q)}(P), raised to (p¹² − 1)/r.

G2 points enter as precomputed line coefficients (`g2_lines`), so a fixed point such as a
verifying key's [β]₂, [γ]₂, [δ]₂ is prepared once. Lines use homogeneous projective doubling
and addition steps for a D-type twist (Costello, Lange, Naehrig, "Faster pairing computations
on curves with high-degree twists", 2010); a line evaluated at P has the sparse shape
c₀ + c₃·w + c₄·v·w, multiplied in by `fq12_mul_034`. The final exponentiation computes exactly
f^((p¹²−1)/r) — easy part (p⁶−1)(p²+1), hard part by the addition chain of Scott et al.,
"On the final exponentiation for calculating pairings on ordinary elliptic curves" (2009) —
so values equal other implementations' (py_ecc's), not just a power of them.
"""

import numpy as np
from numba import njit

from .constants import P, X
from .curve import jac_add, jac_add_affine, jac_double, jac_eq
from .tower import (
    FQ2_ONE,
    FQ12_ONE,
    fq2_add,
    fq2_conj,
    fq2_dbl,
    fq2_mul,
    fq2_mul_fq,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
    fq12_conj,
    fq12_cyclotomic_sqr,
    fq12_eq_one,
    fq12_inv,
    fq12_mul,
    fq12_mul_034,
    fq12_pow,
    fq12_sqr,
)

_MASK = (1 << 64) - 1


# --- constants, derived here in plain Python so the kernels package imports nothing else ----


def _py_fq2_mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def _py_fq2_pow(a, e):
    acc = (1, 0)
    for bit in bin(e)[2:]:
        acc = _py_fq2_mul(acc, acc)
        if bit == "1":
            acc = _py_fq2_mul(acc, a)
    return acc


def _mont(x):
    m = x * pow(2, 256, P) % P
    return tuple(np.uint64((m >> (64 * i)) & _MASK) for i in range(4))


def _mont2(a):
    return (_mont(a[0]), _mont(a[1]))


def _naf(n):
    digits = []
    while n:
        if n & 1:
            d = 2 - (n & 3)
            n -= d
        else:
            d = 0
        digits.append(d)
        n >>= 1
    return digits


_XI = (9, 1)
# Frobenius coefficients γ_{j,k} = ξ^(k(p^j − 1)/6): w^k ↦ γ_{j,k}·w^k under x ↦ x^(p^j).
FROB_GAMMA = tuple(
    tuple(_mont2(_py_fq2_pow(_XI, k * (P**j - 1) // 6)) for k in range(6)) for j in (1, 2, 3)
)
# The twist's Frobenius-on-points: π(x, y) = (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2)).
TWIST_FROB_X = _mont2(_py_fq2_pow(_XI, (P - 1) // 3))
TWIST_FROB_Y = _mont2(_py_fq2_pow(_XI, (P - 1) // 2))
TWIST_B = _mont2(_py_fq2_mul((3, 0), _py_fq2_pow(_XI, P * P - 2)))
TWO_INV = _mont(pow(2, -1, P))
ATE_NAF = np.array(_naf(6 * X + 2), dtype=np.int8)  # least significant digit first
N_LINES = (len(ATE_NAF) - 1) + int(np.count_nonzero(ATE_NAF[:-1])) + 2
X_NAF = np.array(_naf(X), dtype=np.int8)


# --- line coefficients ----------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _doubling_step(rx, ry, rz):
    a = fq2_mul_fq(fq2_mul(rx, ry), TWO_INV)
    b = fq2_sqr(ry)
    c = fq2_sqr(rz)
    e = fq2_mul(TWIST_B, fq2_add(fq2_dbl(c), c))
    f = fq2_add(fq2_dbl(e), e)
    g = fq2_mul_fq(fq2_add(b, f), TWO_INV)
    h = fq2_sub(fq2_sqr(fq2_add(ry, rz)), fq2_add(b, c))
    i = fq2_sub(e, b)
    j = fq2_sqr(rx)
    e2 = fq2_sqr(e)
    nx = fq2_mul(a, fq2_sub(b, f))
    ny = fq2_sub(fq2_sqr(g), fq2_add(fq2_dbl(e2), e2))
    nz = fq2_mul(b, h)
    return (nx, ny, nz), (fq2_neg(h), fq2_add(fq2_dbl(j), j), i)


@njit(cache=True, nogil=True)
def _addition_step(rx, ry, rz, qx, qy):
    theta = fq2_sub(ry, fq2_mul(qy, rz))
    lam = fq2_sub(rx, fq2_mul(qx, rz))
    c = fq2_sqr(theta)
    d = fq2_sqr(lam)
    e = fq2_mul(lam, d)
    f = fq2_mul(rz, c)
    g = fq2_mul(rx, d)
    h = fq2_sub(fq2_add(e, f), fq2_dbl(g))
    nx = fq2_mul(lam, h)
    ny = fq2_sub(fq2_mul(theta, fq2_sub(g, h)), fq2_mul(e, ry))
    nz = fq2_mul(rz, e)
    j = fq2_sub(fq2_mul(theta, qx), fq2_mul(lam, qy))
    return (nx, ny, nz), (lam, fq2_neg(theta), j)


@njit(cache=True, nogil=True)
def _store_line(out, k, line):
    for t in range(3):
        for h in range(2):
            for m in range(4):
                out[k, t, h, m] = line[t][h][m]


@njit(cache=True, nogil=True)
def g2_lines(qx, qy):
    """Line coefficients (N_LINES, 3, 2, 4) of the Miller loop for an affine G2 point q ≠ O."""
    out = np.empty((N_LINES, 3, 2, 4), dtype=np.uint64)
    r = (qx, qy, FQ2_ONE)
    neg_qy = fq2_neg(qy)
    k = 0
    for i in range(len(ATE_NAF) - 2, -1, -1):
        r, line = _doubling_step(r[0], r[1], r[2])
        _store_line(out, k, line)
        k += 1
        d = ATE_NAF[i]
        if d != 0:
            r, line = _addition_step(r[0], r[1], r[2], qx, qy if d > 0 else neg_qy)
            _store_line(out, k, line)
            k += 1
    q1x = fq2_mul(fq2_conj(qx), TWIST_FROB_X)
    q1y = fq2_mul(fq2_conj(qy), TWIST_FROB_Y)
    q2x = fq2_mul(fq2_conj(q1x), TWIST_FROB_X)
    q2y = fq2_neg(fq2_mul(fq2_conj(q1y), TWIST_FROB_Y))
    r, line = _addition_step(r[0], r[1], r[2], q1x, q1y)
    _store_line(out, k, line)
    r, line = _addition_step(r[0], r[1], r[2], q2x, q2y)
    _store_line(out, k + 1, line)
    return out


# --- Miller loop ----------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _load2(a, i, k, t):
    v = a[i, k, t]
    return ((v[0, 0], v[0, 1], v[0, 2], v[0, 3]), (v[1, 0], v[1, 1], v[1, 2], v[1, 3]))


@njit(cache=True, nogil=True)
def _ell(f, lines, i, k, px, py):
    c0 = fq2_mul_fq(_load2(lines, i, k, 0), py)
    c3 = fq2_mul_fq(_load2(lines, i, k, 1), px)
    return fq12_mul_034(f, c0, c3, _load2(lines, i, k, 2))


@njit(cache=True, nogil=True)
def multi_miller_loop(g1, lines):
    """Π_i f_i(P_i) for affine G1 points g1 (n, 2, 4) and their partners' lines (n, N_LINES, 3, 2, 4).

    One shared accumulator: the 65 squarings are paid once however many pairs there are.
    """
    n = g1.shape[0]
    f = FQ12_ONE
    k = 0
    for i in range(len(ATE_NAF) - 2, -1, -1):
        if i != len(ATE_NAF) - 2:
            f = fq12_sqr(f)
        for j in range(n):
            f = _ell(f, lines, j, k, _row(g1, j, 0), _row(g1, j, 1))
        k += 1
        if ATE_NAF[i] != 0:
            for j in range(n):
                f = _ell(f, lines, j, k, _row(g1, j, 0), _row(g1, j, 1))
            k += 1
    for _ in range(2):
        for j in range(n):
            f = _ell(f, lines, j, k, _row(g1, j, 0), _row(g1, j, 1))
        k += 1
    return f


@njit(cache=True, nogil=True)
def _row(a, j, c):
    return (a[j, c, 0], a[j, c, 1], a[j, c, 2], a[j, c, 3])


# --- final exponentiation -------------------------------------------------------------------


@njit(cache=True, nogil=True)
def fq12_frobenius(a, j):
    """a^(p^j) for j in 1..3."""
    g = FROB_GAMMA[j - 1]
    c0, c1 = a
    if j % 2 == 1:
        c0 = (fq2_conj(c0[0]), fq2_conj(c0[1]), fq2_conj(c0[2]))
        c1 = (fq2_conj(c1[0]), fq2_conj(c1[1]), fq2_conj(c1[2]))
    # c0 holds w⁰, w², w⁴; c1 holds w¹, w³, w⁵.
    return (
        (c0[0], fq2_mul(c0[1], g[2]), fq2_mul(c0[2], g[4])),
        (fq2_mul(c1[0], g[1]), fq2_mul(c1[1], g[3]), fq2_mul(c1[2], g[5])),
    )


@njit(cache=True, nogil=True)
def _exp_by_x(a):
    """a^x for a in the cyclotomic subgroup, by the NAF of x: there a⁻¹ is the conjugate."""
    a_inv = fq12_conj(a)
    acc = a  # the top NAF digit of x is +1
    for i in range(len(X_NAF) - 2, -1, -1):
        acc = fq12_cyclotomic_sqr(acc)
        d = X_NAF[i]
        if d > 0:
            acc = fq12_mul(acc, a)
        elif d < 0:
            acc = fq12_mul(acc, a_inv)
    return acc


@njit(cache=True, nogil=True)
def final_exponentiation(f):
    t1 = fq12_mul(fq12_conj(f), fq12_inv(f))  # f^(p⁶ − 1)
    t1 = fq12_mul(t1, fq12_frobenius(t1, 2))  # ^(p² + 1): now in the cyclotomic subgroup
    fp = fq12_frobenius(t1, 1)
    fp2 = fq12_frobenius(t1, 2)
    fp3 = fq12_frobenius(fp2, 1)
    fu = _exp_by_x(t1)
    fu2 = _exp_by_x(fu)
    fu3 = _exp_by_x(fu2)
    y3 = fq12_conj(fq12_frobenius(fu, 1))
    fu2p = fq12_frobenius(fu2, 1)
    fu3p = fq12_frobenius(fu3, 1)
    y2 = fq12_frobenius(fu2, 2)
    y0 = fq12_mul(fq12_mul(fp, fp2), fp3)
    y1 = fq12_conj(t1)
    y5 = fq12_conj(fu2)
    y4 = fq12_conj(fq12_mul(fu, fu2p))
    y6 = fq12_conj(fq12_mul(fu3, fu3p))
    t0 = fq12_mul(fq12_mul(fq12_sqr(y6), y4), y5)
    t1 = fq12_mul(fq12_mul(y3, y5), t0)
    t0 = fq12_mul(t0, y2)
    t1 = fq12_sqr(fq12_mul(fq12_sqr(t1), t0))
    t0 = fq12_mul(t1, y1)
    t1 = fq12_mul(t1, y0)
    return fq12_mul(fq12_sqr(t0), t1)


# --- G2 endomorphism and subgroup membership -------------------------------------------------


@njit(cache=True, nogil=True)
def _psi(p):
    """The untwist-Frobenius-twist endomorphism ψ on a Jacobian G2 point."""
    return (
        fq2_mul(fq2_conj(p[0]), TWIST_FROB_X),
        fq2_mul(fq2_conj(p[1]), TWIST_FROB_Y),
        fq2_conj(p[2]),
    )


@njit(cache=True, nogil=True)
def _mul_by_x(qx, qy):
    """[x]Q for an affine Q, by the NAF of x with mixed additions."""
    acc = (qx, qy, FQ2_ONE)
    neg_qy = fq2_neg(qy)
    for i in range(len(X_NAF) - 2, -1, -1):
        acc = jac_double(acc)
        d = X_NAF[i]
        if d > 0:
            acc = jac_add_affine(acc, qx, qy)
        elif d < 0:
            acc = jac_add_affine(acc, qx, neg_qy)
    return acc


@njit(cache=True, nogil=True)
def g2_in_subgroup(qx, qy):
    """Whether an affine point on the twist lies in the order-r subgroup, by
    [x+1]Q + ψ([x]Q) + ψ²([x]Q) = ψ³([2x]Q) (El Housni, Guillevic, Piellard, eprint 2022/348),
    which costs one 63-bit multiplication instead of a 254-bit one."""
    q = (qx, qy, FQ2_ONE)
    xq = _mul_by_x(qx, qy)
    lhs = jac_add(jac_add(jac_add(xq, q), _psi(xq)), _psi(_psi(xq)))
    rhs = _psi(_psi(_psi(jac_double(xq))))
    return jac_eq(lhs, rhs)


# --- whole checks in one call (no Fq12 ever crosses into Python) ----------------------------


@njit(cache=True, nogil=True)
def _load_fq12(a):
    return (
        (_load_c(a, 0, 0), _load_c(a, 0, 1), _load_c(a, 0, 2)),
        (_load_c(a, 1, 0), _load_c(a, 1, 1), _load_c(a, 1, 2)),
    )


@njit(cache=True, nogil=True)
def _load_c(a, i, j):
    v = a[i, j]
    return ((v[0, 0], v[0, 1], v[0, 2], v[0, 3]), (v[1, 0], v[1, 1], v[1, 2], v[1, 3]))


@njit(cache=True, nogil=True)
def store_fq12(f):
    out = np.empty((2, 3, 2, 4), dtype=np.uint64)
    for i in range(2):
        for j in range(3):
            for h in range(2):
                for m in range(4):
                    out[i, j, h, m] = f[i][j][h][m]
    return out


@njit(cache=True, nogil=True)
def miller_loop_array(g1, lines, factor):
    """factor · Π f_i(P_i) as a (2, 3, 2, 4) array; factor is a Miller value (e.g. e(α, β)'s) or one.

    Miller loop and final exponentiation are separate kernels joined by an array on purpose:
    compiled as one function, LLVM inlines the exponentiation and the pair runs ~30% slower.
    """
    return store_fq12(fq12_mul(multi_miller_loop(g1, lines), _load_fq12(factor)))


@njit(cache=True, nogil=True)
def final_exponentiation_array(f):
    return store_fq12(final_exponentiation(_load_fq12(f)))


@njit(cache=True, nogil=True)
def final_exponentiation_is_one(f):
    return fq12_eq_one(final_exponentiation(_load_fq12(f)))


@njit(cache=True, nogil=True)
def gt_mul_array(a, b):
    return store_fq12(fq12_mul(_load_fq12(a), _load_fq12(b)))


@njit(cache=True, nogil=True)
def gt_pow_array(a, e):
    return store_fq12(fq12_pow(_load_fq12(a), e))
