"""Radix-2 number-theoretic transform over Fr on (n, 4) Montgomery arrays, in place.

Iterative Cooley–Tukey after a bit-reversal permutation; `twiddles` holds ω^0..ω^(n/2−1)
(Montgomery) for the transform's primitive n-th root ω. Natural order in, natural order out:
out[i] = Σ_j a[j]·ω^(ij).
"""

import numpy as np
from numba import njit, prange

from .batch import load_row, store_row
from .fields import fr_add, fr_mul, fr_sub


@njit(cache=True, nogil=True)
def _bit_reverse(a):
    n = a.shape[0]
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            for k in range(4):
                a[i, k], a[j, k] = a[j, k], a[i, k]


@njit(parallel=True, cache=True, nogil=True)
def ntt_inplace(a, twiddles):
    """Each stage's n/2 butterflies are independent: they are split across the cores in chunks
    (at least 1,024 butterflies each, so small transforms stay on one)."""
    n = a.shape[0]
    _bit_reverse(a)
    chunks = max(1, min(64, (n >> 1) // 1024))
    length = 2
    while length <= n:
        half = length >> 1
        step = n // length
        for c in prange(chunks):
            for b in range(c * (n >> 1) // chunks, (c + 1) * (n >> 1) // chunks):
                k = b % half
                i = (b // half) * length + k
                w = load_row(twiddles, k * step)
                u = load_row(a, i)
                v = fr_mul(load_row(a, i + half), w)
                store_row(a, i, fr_add(u, v))
                store_row(a, i + half, fr_sub(u, v))
        length <<= 1


@njit(cache=True, nogil=True)
def scale_by_powers(a, first, ratio):
    """a[i] ← a[i]·first·ratio^i (Montgomery scalars): coset shifts and the 1/n of the inverse."""
    acc = first
    for i in range(a.shape[0]):
        store_row(a, i, fr_mul(load_row(a, i), acc))
        acc = fr_mul(acc, ratio)


@njit(cache=True, nogil=True)
def pointwise_mul_sub(a, b, c):
    """a ⊙ b − c, elementwise (Montgomery)."""
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        store_row(out, i, fr_sub(fr_mul(load_row(a, i), load_row(b, i)), load_row(c, i)))
    return out


@njit(cache=True, nogil=True)
def sparse_matvec(matrix, constraint, signal, coeff, witness, which, n):
    """Σ over entries of one R1CS matrix (`which`) of coeff·witness[signal], per constraint: (n, 4)."""
    out = np.zeros((n, 4), dtype=np.uint64)
    for e in range(matrix.shape[0]):
        if matrix[e] != which:
            continue
        c = constraint[e]
        store_row(out, c, fr_add(load_row(out, c), fr_mul(load_row(coeff, e), load_row(witness, signal[e]))))
    return out
