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


@njit(cache=True, nogil=True)
def _butterflies(a, twiddles, length, first, last):
    """Butterflies first..last − 1 (of n/2) of the stage that joins blocks of length/2 into blocks of
    `length`; the butterflies of one block of that stage are consecutive."""
    n = a.shape[0]
    half = length >> 1
    step = n // length
    for b in range(first, last):
        k = b % half
        i = (b // half) * length + k
        w = load_row(twiddles, k * step)
        u = load_row(a, i)
        v = fr_mul(load_row(a, i + half), w)
        store_row(a, i, fr_add(u, v))
        store_row(a, i + half, fr_sub(u, v))


@njit(parallel=True, cache=True, nogil=True)
def ntt_many(stack, twiddles, parts):
    """The transform of every row of `stack` ((k, n, 4), in place), each row cut in `parts` (a power
    of two dividing n/2) for the cores.

    After the bit reversal, the stages up to length n/parts act inside blocks of n/parts elements:
    the blocks of every row are independent tasks. Each of the last log₂ parts stages is split into
    `parts` runs of butterflies. So the cores meet 2 + log₂ parts times per call, not once a stage:
    on a loaded machine every meeting waits for the thread the scheduler put aside, and a
    stage-by-stage transform of 8,192 elements took 100 ms instead of 3."""
    k, n = stack.shape[0], stack.shape[1]
    block = n // parts
    for t in prange(k):
        _bit_reverse(stack[t])
    for t in prange(k * parts):
        lo = (t % parts) * block
        length = 2
        while length <= block:
            _butterflies(stack[t // parts], twiddles, length, lo >> 1, (lo + block) >> 1)
            length <<= 1
    run = (n >> 1) // parts
    length = block << 1
    while length <= n:
        for t in prange(k * parts):
            first = (t % parts) * run
            _butterflies(stack[t // parts], twiddles, length, first, first + run)
        length <<= 1


@njit(cache=True, nogil=True)
def scale_by_powers(a, first, ratio):
    """a[i] ← a[i]·first·ratio^i (Montgomery scalars): coset shifts and the 1/n of the inverse."""
    acc = first
    for i in range(a.shape[0]):
        store_row(a, i, fr_mul(load_row(a, i), acc))
        acc = fr_mul(acc, ratio)


@njit(parallel=True, cache=True, nogil=True)
def pointwise_mul_sub(a, b, c):
    """a ⊙ b − c, elementwise (Montgomery), in two halves on the cores."""
    out = np.empty_like(a)
    n = a.shape[0]
    for part in prange(2):
        for i in range(part * n // 2, (part + 1) * n // 2):
            store_row(out, i, fr_sub(fr_mul(load_row(a, i), load_row(b, i)), load_row(c, i)))
    return out


@njit(cache=True, nogil=True)
def _matvec_into(out, matrix, constraint, signal, coeff, witness, which):
    """out[k] = Σ over entries of R1CS matrix `which` in constraint k of coeff·witness[signal]."""
    for e in range(matrix.shape[0]):
        if matrix[e] != which:
            continue
        k = constraint[e]
        store_row(out, k, fr_add(load_row(out, k), fr_mul(load_row(coeff, e), load_row(witness, signal[e]))))


@njit(parallel=True, cache=True, nogil=True)
def constraint_evaluations(matrix, constraint, signal, coeff, witness, n):
    """(a, b, a ⊙ b) on the domain, (3, n, 4) Montgomery: a and b the witness's values of the A and
    B rows (the entries of a proving key's coefficient section), each on a core of its own."""
    out = np.zeros((3, n, 4), dtype=np.uint64)
    for which in prange(2):
        _matvec_into(out[which], matrix, constraint, signal, coeff, witness, which)
    for part in prange(2):
        for i in range(part * n // 2, (part + 1) * n // 2):
            store_row(out[2], i, fr_mul(load_row(out[0], i), load_row(out[1], i)))
    return out
