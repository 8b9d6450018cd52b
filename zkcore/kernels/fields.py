"""Montgomery arithmetic in Fq and Fr on 4×64-bit limb tuples (little-endian limbs).

An element is a `UniTuple(uint64, 4)` holding x·2²⁵⁶ mod m. Tuples rather than arrays keep
elements in registers: no allocation in a hot loop. Both moduli are below 2²⁵⁴, which lets the
multiplication skip the top carry word (the "no-carry" CIOS of gnark, valid when the top
modulus limb is < (2⁶⁴−1)/2 − 1).
"""

import numpy as np
from numba import njit

from .constants import P as _P_INT
from .constants import R as _R_INT
from .limbs import adc, mac, sbb

_U = np.uint64
ZERO = _U(0)
ONE = _U(1)



def _limbs(x):
    return tuple(_U((x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


# Fq: the BN254 base field; the limbs of the one modulus in kernels.constants.
P0, P1, P2, P3 = _limbs(_P_INT)
P_INV = _U(-pow(_P_INT, -1, 1 << 64) % (1 << 64))  # −p⁻¹ mod 2⁶⁴
# Fr: the BN254 scalar field (the group order r).
R0, R1, R2, R3 = _limbs(_R_INT)
R_INV = _U(-pow(_R_INT, -1, 1 << 64) % (1 << 64))


FQ_ONE = _limbs((1 << 256) % _P_INT)  # 1 in Montgomery form
FQ_R2 = _limbs((1 << 512) % _P_INT)  # for converting into Montgomery form
FR_ONE = _limbs((1 << 256) % _R_INT)
FR_R2 = _limbs((1 << 512) % _R_INT)
FQ_ZERO = (ZERO, ZERO, ZERO, ZERO)


@njit(inline="always", cache=True)
def _mont_mul(a, b, m0, m1, m2, m3, inv):
    t0 = t1 = t2 = t3 = ZERO
    for i in range(4):
        bi = b[i]
        t0, A = mac(t0, a[0], bi, ZERO)
        k = t0 * inv
        _, C = mac(t0, k, m0, ZERO)
        t1, A = mac(t1, a[1], bi, A)
        t0, C = mac(t1, k, m1, C)
        t2, A = mac(t2, a[2], bi, A)
        t1, C = mac(t2, k, m2, C)
        t3, A = mac(t3, a[3], bi, A)
        t2, C = mac(t3, k, m3, C)
        t3 = C + A
    return _reduce_once(t0, t1, t2, t3, m0, m1, m2, m3)


@njit(inline="always", cache=True)
def _reduce_once(t0, t1, t2, t3, m0, m1, m2, m3):
    """t mod m for t < 2m."""
    d0, b = sbb(t0, m0, ZERO)
    d1, b = sbb(t1, m1, b)
    d2, b = sbb(t2, m2, b)
    d3, b = sbb(t3, m3, b)
    if b:
        return (t0, t1, t2, t3)
    return (d0, d1, d2, d3)


@njit(inline="always", cache=True)
def _add(a, b, m0, m1, m2, m3):
    s0, c = adc(a[0], b[0], ZERO)
    s1, c = adc(a[1], b[1], c)
    s2, c = adc(a[2], b[2], c)
    s3, c = adc(a[3], b[3], c)
    return _reduce_once(s0, s1, s2, s3, m0, m1, m2, m3)


@njit(inline="always", cache=True)
def _sub(a, b, m0, m1, m2, m3):
    d0, br = sbb(a[0], b[0], ZERO)
    d1, br = sbb(a[1], b[1], br)
    d2, br = sbb(a[2], b[2], br)
    d3, br = sbb(a[3], b[3], br)
    if br:
        d0, c = adc(d0, m0, ZERO)
        d1, c = adc(d1, m1, c)
        d2, c = adc(d2, m2, c)
        d3, c = adc(d3, m3, c)
    return (d0, d1, d2, d3)


@njit(inline="always", cache=True)
def is_zero(a):
    return (a[0] | a[1] | a[2] | a[3]) == ZERO


@njit(inline="always", cache=True)
def limbs_eq(a, b):
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == ZERO


# --- Fq -------------------------------------------------------------------------------------


@njit(inline="always", cache=True)
def fq_mul(a, b):
    return _mont_mul(a, b, P0, P1, P2, P3, P_INV)


@njit(inline="always", cache=True)
def fq_sqr(a):
    return _mont_mul(a, a, P0, P1, P2, P3, P_INV)


@njit(inline="always", cache=True)
def fq_add(a, b):
    return _add(a, b, P0, P1, P2, P3)


@njit(inline="always", cache=True)
def fq_sub(a, b):
    return _sub(a, b, P0, P1, P2, P3)


@njit(inline="always", cache=True)
def fq_dbl(a):
    return _add(a, a, P0, P1, P2, P3)


@njit(inline="always", cache=True)
def fq_neg(a):
    return _sub(FQ_ZERO, a, P0, P1, P2, P3)


@njit(cache=True, nogil=True)
def pow_by_squaring(a, e, one, mul, sqr):
    """a^e in any field of the tower, given its one, multiplication and squaring kernels; e as 4
    little-endian uint64 limbs (not Montgomery). Square-and-multiply from the top bit."""
    acc = one
    for i in range(255, -1, -1):
        acc = sqr(acc)
        if (e[i >> 6] >> _U(i & 63)) & ONE:
            acc = mul(acc, a)
    return acc


@njit(cache=True, nogil=True)
def fq_pow(a, e):
    return pow_by_squaring(a, e, FQ_ONE, fq_mul, fq_sqr)


_P_MINUS_2 = _limbs(_P_INT - 2)


@njit(cache=True, nogil=True)
def fq_inv(a):
    """a⁻¹ by Fermat (0⁻¹ is 0: callers check for zero where it matters)."""
    return fq_pow(a, _P_MINUS_2)


@njit(cache=True, nogil=True)
def fq_to_mont(a):
    return fq_mul(a, FQ_R2)


@njit(cache=True, nogil=True)
def fq_from_mont(a):
    return fq_mul(a, (ONE, ZERO, ZERO, ZERO))


# --- Fr -------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def fr_mul(a, b):
    return _mont_mul(a, b, R0, R1, R2, R3, R_INV)


@njit(cache=True, nogil=True)
def fr_sqr(a):
    return _mont_mul(a, a, R0, R1, R2, R3, R_INV)


@njit(cache=True, nogil=True)
def fr_add(a, b):
    return _add(a, b, R0, R1, R2, R3)


@njit(cache=True, nogil=True)
def fr_sub(a, b):
    return _sub(a, b, R0, R1, R2, R3)


@njit(cache=True, nogil=True)
def fr_neg(a):
    return _sub(FQ_ZERO, a, R0, R1, R2, R3)


@njit(cache=True, nogil=True)
def fr_pow(a, e):
    return pow_by_squaring(a, e, FR_ONE, fr_mul, fr_sqr)


_R_MINUS_2 = _limbs(_R_INT - 2)


@njit(cache=True, nogil=True)
def fr_inv(a):
    return fr_pow(a, _R_MINUS_2)


@njit(cache=True, nogil=True)
def fr_to_mont(a):
    return fr_mul(a, FR_R2)


@njit(cache=True, nogil=True)
def fr_from_mont(a):
    return fr_mul(a, (ONE, ZERO, ZERO, ZERO))


_P_PLUS_1_DIV_4 = _limbs((_P_INT + 1) // 4)


@njit(cache=True, nogil=True)
def fq_sqrt(a):
    """(root, ok): p ≡ 3 (mod 4), so a^((p+1)/4) is a root whenever one exists."""
    s = fq_pow(a, _P_PLUS_1_DIV_4)
    return s, limbs_eq(fq_sqr(s), a)


# --- double-width arithmetic, for lazy reduction ---------------------------------------------
# A sum of products can be reduced once instead of once per product: Montgomery reduction
# (REDC) accepts any T < m·2²⁵⁶ and returns T·2⁻²⁵⁶ mod m.


@njit(inline="always", cache=True)
def mul_wide(a, b):
    """The 512-bit product a·b as 8 little-endian limbs."""
    t0, c = mac(ZERO, a[0], b[0], ZERO)
    t1, c = mac(ZERO, a[1], b[0], c)
    t2, c = mac(ZERO, a[2], b[0], c)
    t3, t4 = mac(ZERO, a[3], b[0], c)
    t1, c = mac(t1, a[0], b[1], ZERO)
    t2, c = mac(t2, a[1], b[1], c)
    t3, c = mac(t3, a[2], b[1], c)
    t4, t5 = mac(t4, a[3], b[1], c)
    t2, c = mac(t2, a[0], b[2], ZERO)
    t3, c = mac(t3, a[1], b[2], c)
    t4, c = mac(t4, a[2], b[2], c)
    t5, t6 = mac(t5, a[3], b[2], c)
    t3, c = mac(t3, a[0], b[3], ZERO)
    t4, c = mac(t4, a[1], b[3], c)
    t5, c = mac(t5, a[2], b[3], c)
    t6, t7 = mac(t6, a[3], b[3], c)
    return (t0, t1, t2, t3, t4, t5, t6, t7)


@njit(inline="always", cache=True)
def add_wide(x, y):
    s0, c = adc(x[0], y[0], ZERO)
    s1, c = adc(x[1], y[1], c)
    s2, c = adc(x[2], y[2], c)
    s3, c = adc(x[3], y[3], c)
    s4, c = adc(x[4], y[4], c)
    s5, c = adc(x[5], y[5], c)
    s6, c = adc(x[6], y[6], c)
    s7, c = adc(x[7], y[7], c)
    return (s0, s1, s2, s3, s4, s5, s6, s7)


@njit(inline="always", cache=True)
def sub_wide(x, y):
    """x − y for x ≥ y."""
    d0, b = sbb(x[0], y[0], ZERO)
    d1, b = sbb(x[1], y[1], b)
    d2, b = sbb(x[2], y[2], b)
    d3, b = sbb(x[3], y[3], b)
    d4, b = sbb(x[4], y[4], b)
    d5, b = sbb(x[5], y[5], b)
    d6, b = sbb(x[6], y[6], b)
    d7, b = sbb(x[7], y[7], b)
    return (d0, d1, d2, d3, d4, d5, d6, d7)


@njit(inline="always", cache=True)
def add_unreduced(a, b):
    """a + b without reduction (< 2²⁵⁵ for canonical inputs, as both moduli are < 2²⁵⁴)."""
    s0, c = adc(a[0], b[0], ZERO)
    s1, c = adc(a[1], b[1], c)
    s2, c = adc(a[2], b[2], c)
    s3, c = adc(a[3], b[3], c)
    return (s0, s1, s2, s3)


@njit(inline="always", cache=True)
def _redc(t, m0, m1, m2, m3, inv):
    t0, t1, t2, t3, t4, t5, t6, t7 = t
    k = t0 * inv
    _, c = mac(t0, k, m0, ZERO)
    t1, c = mac(t1, k, m1, c)
    t2, c = mac(t2, k, m2, c)
    t3, c = mac(t3, k, m3, c)
    t4, h = adc(t4, c, ZERO)
    k = t1 * inv
    _, c = mac(t1, k, m0, ZERO)
    t2, c = mac(t2, k, m1, c)
    t3, c = mac(t3, k, m2, c)
    t4, c = mac(t4, k, m3, c)
    t5, h = adc(t5, c, h)
    k = t2 * inv
    _, c = mac(t2, k, m0, ZERO)
    t3, c = mac(t3, k, m1, c)
    t4, c = mac(t4, k, m2, c)
    t5, c = mac(t5, k, m3, c)
    t6, h = adc(t6, c, h)
    k = t3 * inv
    _, c = mac(t3, k, m0, ZERO)
    t4, c = mac(t4, k, m1, c)
    t5, c = mac(t5, k, m2, c)
    t6, c = mac(t6, k, m3, c)
    t7, h = adc(t7, c, h)
    # T < m·2²⁵⁶ leaves the result below 2m, so h is 0 and one subtraction suffices.
    return _reduce_once(t4, t5, t6, t7, m0, m1, m2, m3)


@njit(inline="always", cache=True)
def fq_redc(t):
    """T·2⁻²⁵⁶ mod p for a double-width T < p·2²⁵⁶."""
    return _redc(t, P0, P1, P2, P3, P_INV)


P_SQUARED = tuple(_U(((_P_INT * _P_INT) >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(8))
