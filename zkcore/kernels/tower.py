"""The BN254 extension tower on limb tuples.

    Fq2  = Fq[u]  / (u² + 1)        element (c0, c1)        = c0 + c1·u
    Fq6  = Fq2[v] / (v³ − ξ), ξ = 9 + u   element (c0, c1, c2)
    Fq12 = Fq6[w] / (w² − v)        element (c0, c1)        = c0 + c1·w

so an Fq12 element is Σ a_k·w^k with (c0.c0, c0.c1, c0.c2, c1.c0, c1.c1, c1.c2) holding the
coefficients of w⁰, w², w⁴, w¹, w³, w⁵. Formulas are the textbook Karatsuba/Chung–Hasan ones
(Devegili et al., "Multiplication and squaring on pairing-friendly fields", 2006).
"""

import numpy as np
from numba import njit

from .constants import P
from .fields import (
    FQ_ONE,
    FQ_ZERO,
    P_SQUARED,
    add_unreduced,
    add_wide,
    fq_add,
    fq_dbl,
    fq_inv,
    fq_mul,
    fq_neg,
    fq_redc,
    fq_sqr,
    fq_sub,
    limbs_eq,
    mul_wide,
    sub_wide,
)

FQ2_ZERO = (FQ_ZERO, FQ_ZERO)
FQ2_ONE = (FQ_ONE, FQ_ZERO)
FQ6_ZERO = (FQ2_ZERO, FQ2_ZERO, FQ2_ZERO)
FQ6_ONE = (FQ2_ONE, FQ2_ZERO, FQ2_ZERO)
FQ12_ONE = (FQ6_ONE, FQ6_ZERO)

# --- Fq2 ------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def fq2_add(a, b):
    return (fq_add(a[0], b[0]), fq_add(a[1], b[1]))


@njit(cache=True, nogil=True)
def fq2_sub(a, b):
    return (fq_sub(a[0], b[0]), fq_sub(a[1], b[1]))


@njit(cache=True, nogil=True)
def fq2_dbl(a):
    return (fq_dbl(a[0]), fq_dbl(a[1]))


@njit(cache=True, nogil=True)
def fq2_neg(a):
    return (fq_neg(a[0]), fq_neg(a[1]))


@njit(cache=True, nogil=True)
def fq2_conj(a):
    return (a[0], fq_neg(a[1]))


@njit(cache=True, nogil=True)
def fq2_mul(a, b):
    """Karatsuba with lazy reduction: three double-width products, two reductions.

    a₀b₀ − a₁b₁ + p² lies in (0, 2p²) and (a₀+a₁)(b₀+b₁) − a₀b₀ − a₁b₁ = a₀b₁ + a₁b₀ < 2p²,
    both below p·2²⁵⁶ as REDC requires.
    """
    v0 = mul_wide(a[0], b[0])
    v1 = mul_wide(a[1], b[1])
    cross = mul_wide(add_unreduced(a[0], a[1]), add_unreduced(b[0], b[1]))
    c0 = fq_redc(sub_wide(add_wide(v0, P_SQUARED), v1))
    c1 = fq_redc(sub_wide(sub_wide(cross, v0), v1))
    return (c0, c1)


@njit(cache=True, nogil=True)
def fq2_sqr(a):
    ab = fq_mul(a[0], a[1])
    return (fq_mul(fq_add(a[0], a[1]), fq_sub(a[0], a[1])), fq_dbl(ab))


@njit(cache=True, nogil=True)
def fq2_mul_fq(a, s):
    return (fq_mul(a[0], s), fq_mul(a[1], s))


@njit(cache=True, nogil=True)
def fq2_mul_xi(a):
    """a·(9 + u) = (9a₀ − a₁) + (a₀ + 9a₁)u, with 9x = 8x + x by doublings."""
    a0, a1 = a[0], a[1]
    n0 = fq_add(fq_dbl(fq_dbl(fq_dbl(a0))), a0)
    n1 = fq_add(fq_dbl(fq_dbl(fq_dbl(a1))), a1)
    return (fq_sub(n0, a1), fq_add(a0, n1))


@njit(cache=True, nogil=True)
def fq2_inv(a):
    t = fq_inv(fq_add(fq_sqr(a[0]), fq_sqr(a[1])))
    return (fq_mul(a[0], t), fq_neg(fq_mul(a[1], t)))


# --- Fq6 ------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def fq6_add(a, b):
    return (fq2_add(a[0], b[0]), fq2_add(a[1], b[1]), fq2_add(a[2], b[2]))


@njit(cache=True, nogil=True)
def fq6_sub(a, b):
    return (fq2_sub(a[0], b[0]), fq2_sub(a[1], b[1]), fq2_sub(a[2], b[2]))


@njit(cache=True, nogil=True)
def fq6_neg(a):
    return (fq2_neg(a[0]), fq2_neg(a[1]), fq2_neg(a[2]))


@njit(cache=True, nogil=True)
def fq6_mul_v(a):
    """a·v: the coefficients rotate and the top one wraps around times ξ."""
    return (fq2_mul_xi(a[2]), a[0], a[1])


@njit(cache=True, nogil=True)
def fq6_mul(a, b):
    v0 = fq2_mul(a[0], b[0])
    v1 = fq2_mul(a[1], b[1])
    v2 = fq2_mul(a[2], b[2])
    t0 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a[1], a[2]), fq2_add(b[1], b[2])), v1), v2)
    t1 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a[0], a[1]), fq2_add(b[0], b[1])), v0), v1)
    t2 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a[0], a[2]), fq2_add(b[0], b[2])), v0), v2)
    return (fq2_add(v0, fq2_mul_xi(t0)), fq2_add(t1, fq2_mul_xi(v2)), fq2_add(t2, v1))


@njit(cache=True, nogil=True)
def fq6_sqr(a):
    s0 = fq2_sqr(a[0])
    s1 = fq2_dbl(fq2_mul(a[0], a[1]))
    s2 = fq2_sqr(fq2_add(fq2_sub(a[0], a[1]), a[2]))
    s3 = fq2_dbl(fq2_mul(a[1], a[2]))
    s4 = fq2_sqr(a[2])
    c2 = fq2_sub(fq2_sub(fq2_add(fq2_add(s1, s2), s3), s0), s4)
    return (fq2_add(s0, fq2_mul_xi(s3)), fq2_add(s1, fq2_mul_xi(s4)), c2)


@njit(cache=True, nogil=True)
def fq6_mul_01(a, b0, b1):
    """a·(b₀ + b₁v): the sparse product the Miller loop's lines need."""
    v0 = fq2_mul(a[0], b0)
    v1 = fq2_mul(a[1], b1)
    c0 = fq2_add(fq2_mul_xi(fq2_sub(fq2_mul(fq2_add(a[1], a[2]), b1), v1)), v0)
    c1 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a[0], a[1]), fq2_add(b0, b1)), v0), v1)
    c2 = fq2_add(fq2_sub(fq2_mul(fq2_add(a[0], a[2]), b0), v0), v1)
    return (c0, c1, c2)



@njit(cache=True, nogil=True)
def fq6_inv(a):
    t0 = fq2_sub(fq2_sqr(a[0]), fq2_mul_xi(fq2_mul(a[1], a[2])))
    t1 = fq2_sub(fq2_mul_xi(fq2_sqr(a[2])), fq2_mul(a[0], a[1]))
    t2 = fq2_sub(fq2_sqr(a[1]), fq2_mul(a[0], a[2]))
    d = fq2_add(fq2_mul(a[0], t0), fq2_mul_xi(fq2_add(fq2_mul(a[2], t1), fq2_mul(a[1], t2))))
    d_inv = fq2_inv(d)
    return (fq2_mul(t0, d_inv), fq2_mul(t1, d_inv), fq2_mul(t2, d_inv))


# --- Fq12 -----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def fq12_mul(a, b):
    aa = fq6_mul(a[0], b[0])
    bb = fq6_mul(a[1], b[1])
    cross = fq6_mul(fq6_add(a[0], a[1]), fq6_add(b[0], b[1]))
    return (fq6_add(aa, fq6_mul_v(bb)), fq6_sub(fq6_sub(cross, aa), bb))


@njit(cache=True, nogil=True)
def fq12_sqr(a):
    ab = fq6_mul(a[0], a[1])
    t = fq6_mul(fq6_add(a[0], a[1]), fq6_add(a[0], fq6_mul_v(a[1])))
    c0 = fq6_sub(fq6_sub(t, ab), fq6_mul_v(ab))
    return (c0, fq6_add(ab, ab))


@njit(cache=True, nogil=True)
def fq12_conj(a):
    """a^(p⁶): for elements of the cyclotomic subgroup this is the inverse."""
    return (a[0], fq6_neg(a[1]))


@njit(cache=True, nogil=True)
def fq12_inv(a):
    t = fq6_inv(fq6_sub(fq6_sqr(a[0]), fq6_mul_v(fq6_sqr(a[1]))))
    return (fq6_mul(a[0], t), fq6_neg(fq6_mul(a[1], t)))


@njit(cache=True, nogil=True)
def fq12_mul_034(a, c0, c3, c4):
    """a·(c₀ + c₃·w + c₄·v·w), the shape of a D-twist line evaluated at a G1 point."""
    t_a = (fq2_mul(a[0][0], c0), fq2_mul(a[0][1], c0), fq2_mul(a[0][2], c0))
    t_b = fq6_mul_01(a[1], c3, c4)
    e = fq6_mul_01(fq6_add(a[0], a[1]), fq2_add(c0, c3), c4)
    return (fq6_add(fq6_mul_v(t_b), t_a), fq6_sub(e, fq6_add(t_a, t_b)))


@njit(cache=True, nogil=True)
def fq12_eq_one(a):
    one = FQ_ONE
    for k in range(3):
        for h in range(2):
            want = one if (k == 0 and h == 0) else FQ_ZERO
            x = a[0][k][h]
            y = a[1][k][h]
            if x[0] != want[0] or x[1] != want[1] or x[2] != want[2] or x[3] != want[3]:
                return False
            if y[0] != 0 or y[1] != 0 or y[2] != 0 or y[3] != 0:
                return False
    return True


# fq2_pow and fq12_pow keep their own square-and-multiply loop rather than call fields.pow_by_squaring:
# handed fq2_mul or fq12_mul as an argument, numba compiles the kernel but will not cache it ("uses
# dynamic globals"), and every process would compile it again.
@njit(cache=True, nogil=True)
def fq2_pow(a, e):
    acc = FQ2_ONE
    for i in range(255, -1, -1):
        acc = fq2_sqr(acc)
        if (e[i >> 6] >> np.uint64(i & 63)) & np.uint64(1):
            acc = fq2_mul(acc, a)
    return acc


_P_MINUS_3_DIV_4 = tuple(np.uint64((((P - 3) // 4) >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))
_P_MINUS_1_DIV_2 = tuple(np.uint64((((P - 1) // 2) >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


@njit(cache=True, nogil=True)
def fq2_sqrt(a):
    """(root, ok) by Algorithm 9 of Adj and Rodríguez-Henríquez, "Square root computation over
    even extension fields" (2014), for p ≡ 3 (mod 4); the root is checked by squaring."""
    a1 = fq2_pow(a, _P_MINUS_3_DIV_4)
    alpha = fq2_mul(fq2_sqr(a1), a)
    x0 = fq2_mul(a1, a)
    minus_one = fq2_neg(FQ2_ONE)
    if limbs_eq(alpha[0], minus_one[0]) and limbs_eq(alpha[1], minus_one[1]):
        x = (fq_neg(x0[1]), x0[0])  # i·x0
    else:
        b = fq2_pow(fq2_add(FQ2_ONE, alpha), _P_MINUS_1_DIV_2)
        x = fq2_mul(b, x0)
    check = fq2_sqr(x)
    return x, limbs_eq(check[0], a[0]) and limbs_eq(check[1], a[1])


@njit(cache=True, nogil=True)
def _fq4_sqr(a, b):
    """(a + b·y)² in Fq4 = Fq2[y]/(y² − ξ), as (real, y-part)."""
    ab = fq2_mul(a, b)
    t0 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a, b), fq2_add(fq2_mul_xi(b), a)), ab), fq2_mul_xi(ab))
    return t0, fq2_dbl(ab)


@njit(cache=True, nogil=True)
def _three_minus_two(t, z):
    """3t − 2z."""
    d = fq2_sub(t, z)
    return fq2_add(fq2_dbl(d), t)


@njit(cache=True, nogil=True)
def _three_plus_two(t, z):
    """3t + 2z."""
    s = fq2_add(t, z)
    return fq2_add(fq2_dbl(s), t)


@njit(cache=True, nogil=True)
def fq12_cyclotomic_sqr(a):
    """a² for a in the cyclotomic subgroup (a^(p⁶+1)(p²−1)... i.e. after the easy part of the
    final exponentiation): three Fq4 squarings instead of a full Fq12 squaring (Granger and
    Scott, "Faster squaring in the cyclotomic subgroup of sixth degree extensions", 2010)."""
    z0, z4, z3 = a[0]
    z2, z1, z5 = a[1]
    t0, t1 = _fq4_sqr(z0, z1)
    t2, t3 = _fq4_sqr(z2, z3)
    t4, t5 = _fq4_sqr(z4, z5)
    n0 = _three_minus_two(t0, z0)
    n1 = _three_plus_two(t1, z1)
    n2 = _three_plus_two(fq2_mul_xi(t5), z2)
    n3 = _three_minus_two(t4, z3)
    n4 = _three_minus_two(t2, z4)
    n5 = _three_plus_two(t3, z5)
    return ((n0, n4, n3), (n2, n1, n5))


@njit(cache=True, nogil=True)
def fq12_pow(a, e):
    """a^e, e as 4 little-endian uint64 limbs."""
    acc = FQ12_ONE
    for i in range(255, -1, -1):
        acc = fq12_sqr(acc)
        if (e[i >> 6] >> np.uint64(i & 63)) & np.uint64(1):
            acc = fq12_mul(acc, a)
    return acc
