"""Sparse linear combinations of curve points: out[r] = Σ_t scalars[t]·bases[indices[t]] for
t in indptr[r]..indptr[r+1] (CSR layout), generic over G1 and G2.

This is how a Groth16 key is composed from Powers of Tau points: each wire's [u_i(τ)] is the sum
of its R1CS coefficients times the Lagrange-basis points of the constraints it appears in. Rows are
short (a few terms) but the coefficients are full-size, and every base serves many rows: so the
bases' window tables are built once (msm_tables.window_tables) and each row is a Pippenger over
them (add_window_combinations). sparse_combinations, a double-and-add per term, remains for rows
whose scalars are tiny (±1 differences).
Pure-Python twin: `ceremony._combine_python` (tests/test_ceremony.py checks parity).
"""

import numpy as np
from numba import njit, prange

from .curve import bucket_add, bucket_sum, jac_add, jac_infinity_like, jac_mul_affine, jac_to_affine
from .generic import f_is_zero, f_neg, load_fe, store_fe
from .msm_tables import _normalize_into


@njit(parallel=True, cache=True, nogil=True)
def sparse_combinations(bases, indptr, indices, scalars):
    """Affine results ((rows, 2, 4) for G1, (rows, 2, 2, 4) for G2; (0, 0) for infinity).

    bases: affine Montgomery points; scalars: (nnz, 4) little-endian limbs in standard form.
    """
    rows = indptr.shape[0] - 1
    out = np.zeros((rows,) + bases.shape[1:], dtype=np.uint64)
    for r in prange(rows):
        acc = jac_infinity_like(load_fe(bases, (0, 0)))
        for t in range(indptr[r], indptr[r + 1]):
            qx = load_fe(bases, (indices[t], 0))
            qy = load_fe(bases, (indices[t], 1))
            acc = jac_add(acc, jac_mul_affine(qx, qy, scalars[t]))
        x, y = jac_to_affine(acc)
        store_fe(out, (r, 0), x)
        store_fe(out, (r, 1), y)
    return out


@njit(parallel=True, cache=True, nogil=True)
def add_window_combinations(tables, indptr, indices, digits, c, acc):
    """acc[r] += Σ_t Σ_k digits[t, k]·tables[indices[t], k] for t in indptr[r]..indptr[r+1], in place.

    tables: affine window tables (n, ≥ nwin, 2, …) as msm_tables.window_tables makes them, so that
    tables[i, k] = 2^(k·c)·(the caller's base i shifted to this group of windows); digits: (nnz, nwin)
    signed base-2^c digits of each term's scalar (curve.signed_digits) for the same windows; acc: Jacobian
    (rows, 3, …). Each row is a small Pippenger whose 2^(c−1) buckets are shared by all its windows
    (the doublings live in the tables), so a term costs nwin additions instead of a double-and-add.
    Pure-Python twin: `ceremony._combine_python` (tests/test_ceremony.py checks parity).
    """
    half = 1 << (c - 1)
    fe = tables.shape[3:]
    for r in prange(indptr.shape[0] - 1):
        buckets = np.empty((half, 3) + fe, dtype=np.uint64)
        used = np.zeros(half, dtype=np.bool_)
        for t in range(indptr[r], indptr[r + 1]):
            i = indices[t]
            for k in range(digits.shape[1]):
                d = digits[t, k]
                if d == 0:
                    continue
                qx = load_fe(tables, (i, k, 0))
                qy = load_fe(tables, (i, k, 1))
                if f_is_zero(qx) and f_is_zero(qy):
                    continue
                if d < 0:
                    qy = f_neg(qy)
                bucket_add(buckets, used, (d if d > 0 else -d) - 1, qx, qy)
        total, _ = bucket_sum(buckets, used, half)
        prev = (load_fe(acc, (r, 0)), load_fe(acc, (r, 1)), load_fe(acc, (r, 2)))
        s = jac_add(prev, total)
        store_fe(acc, (r, 0), s[0])
        store_fe(acc, (r, 1), s[1])
        store_fe(acc, (r, 2), s[2])


@njit(cache=True, nogil=True)
def jacobian_to_affine(acc):
    """(rows, 3, …) Jacobian points as (rows, 2, …) affine ((0, 0) for infinity), one shared inversion."""
    out = np.zeros((acc.shape[0], 2) + acc.shape[2:], dtype=np.uint64)
    if acc.shape[0]:
        _normalize_into(acc, out, 0, acc.shape[0])
    return out
