"""Element-wise kernels over (n, 4) uint64 arrays, for Fq (field=0) or Fr (field=1).

The modulus is chosen per call rather than per function so that one compiled kernel serves
both fields; the branch is loop-invariant and costs nothing measurable.
"""

import numpy as np
from numba import njit, prange

from .fields import (
    FQ_ONE,
    FQ_R2,
    FR_ONE,
    FR_R2,
    P0,
    P1,
    P2,
    P3,
    P_INV,
    R0,
    R1,
    R2,
    R3,
    R_INV,
    _mont_mul,
    fq_pow,
    fr_pow,
)


@njit(cache=True, nogil=True)
def _modulus(field):
    if field == 0:
        return P0, P1, P2, P3, P_INV
    return R0, R1, R2, R3, R_INV


@njit(cache=True, nogil=True)
def load_row(a, i):
    """Row i of an (n, 4) limb array as a tuple."""
    return (a[i, 0], a[i, 1], a[i, 2], a[i, 3])


@njit(cache=True, nogil=True)
def store_row(out, i, v):
    out[i, 0], out[i, 1], out[i, 2], out[i, 3] = v


@njit(parallel=True, cache=True, nogil=True)
def batch_mul(a, b, field):
    m0, m1, m2, m3, inv = _modulus(field)
    out = np.empty_like(a)
    for i in prange(a.shape[0]):
        store_row(out, i, _mont_mul(load_row(a, i), load_row(b, i), m0, m1, m2, m3, inv))
    return out


@njit(parallel=True, cache=True, nogil=True)
def batch_to_mont(a, field):
    """Standard limbs → Montgomery limbs (inputs must already be < modulus)."""
    m0, m1, m2, m3, inv = _modulus(field)
    r2 = FQ_R2 if field == 0 else FR_R2
    out = np.empty_like(a)
    for i in prange(a.shape[0]):
        store_row(out, i, _mont_mul(load_row(a, i), r2, m0, m1, m2, m3, inv))
    return out


@njit(parallel=True, cache=True, nogil=True)
def batch_from_mont(a, field):
    m0, m1, m2, m3, inv = _modulus(field)
    one = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    out = np.empty_like(a)
    for i in prange(a.shape[0]):
        store_row(out, i, _mont_mul(load_row(a, i), one, m0, m1, m2, m3, inv))
    return out


@njit(cache=True, nogil=True)
def batch_inv(a, exponent, field):
    """Montgomery's trick: n inverses for one exponentiation and 3(n−1) multiplications.

    `exponent` is modulus − 2 as limbs. Zeros are skipped and map to zero, so one zero cannot
    poison the batch.
    """
    m0, m1, m2, m3, inv = _modulus(field)
    n = a.shape[0]
    one = FQ_ONE if field == 0 else FR_ONE
    prefix = np.empty_like(a)
    acc = one
    for i in range(n):
        store_row(prefix, i, acc)
        x = load_row(a, i)
        if (x[0] | x[1] | x[2] | x[3]) != 0:
            acc = _mont_mul(acc, x, m0, m1, m2, m3, inv)
    acc = fq_pow(acc, exponent) if field == 0 else fr_pow(acc, exponent)
    out = np.zeros_like(a)
    for i in range(n - 1, -1, -1):
        x = load_row(a, i)
        if (x[0] | x[1] | x[2] | x[3]) != 0:
            store_row(out, i, _mont_mul(acc, load_row(prefix, i), m0, m1, m2, m3, inv))
            acc = _mont_mul(acc, x, m0, m1, m2, m3, inv)
    return out
