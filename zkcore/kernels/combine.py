"""Sparse linear combinations of curve points: out[r] = Σ_t scalars[t]·bases[indices[t]] for
t in indptr[r]..indptr[r+1] (CSR layout), generic over G1 and G2.

This is how a Groth16 key is composed from Powers of Tau points: each wire's [u_i(τ)] is the sum
of its R1CS coefficients times the Lagrange-basis points of the constraints it appears in. Rows are
short (a few terms), so a plain double-and-add per term beats a Pippenger per row.
Pure-Python twin: `ceremony._combine_python` (tests/test_ceremony.py checks parity).
"""

import numpy as np
from numba import njit, prange

from .curve import jac_add, jac_infinity_like, jac_mul_affine, jac_to_affine
from .generic import load_fe, store_fe


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
