"""The Poseidon permutation over Fr (Montgomery limbs), for any width t, in the sparse form.

Parameters are zkcore.poseidon_params.SparsePoseidon's, as Montgomery arrays: full-round constants
(R_F, t, 4), partial-round constants (R_P, 4), sparse rows (R_P, t, 4) and columns (R_P, t − 1, 4),
the dense matrix applied after the partial rounds ((t − 1, t − 1, 4)) and the MDS matrix (t, t, 4).
The state lives in a small local array so one compiled kernel serves every width; width 3 (Merkle
trees) has its own kernel with the state in registers.
"""

import numpy as np
from numba import njit, prange

from .batch import load_row
from .fields import fr_add, fr_from_mont, fr_mul, fr_to_mont


@njit(cache=True, nogil=True)
def _sbox(x):
    x2 = fr_mul(x, x)
    return fr_mul(fr_mul(x2, x2), x)


@njit(cache=True, nogil=True)
def _mds_round(state, constants, mds, scratch):
    """A full round on `state` in place: add constants, S-box every cell, multiply by mds."""
    t = state.shape[0]
    for i in range(t):
        x = _sbox(fr_add(load_row(state, i), load_row(constants, i)))
        scratch[i, 0], scratch[i, 1], scratch[i, 2], scratch[i, 3] = x
    for i in range(t):
        acc = fr_mul(load_row(mds[i], 0), load_row(scratch, 0))
        for j in range(1, t):
            acc = fr_add(acc, fr_mul(load_row(mds[i], j), load_row(scratch, j)))
        state[i, 0], state[i, 1], state[i, 2], state[i, 3] = acc


@njit(cache=True, nogil=True)
def permute_sparse(state, full_c, partial_c, rows, cols, after, mds):
    """Permute `state` ((t, 4), Montgomery) in place, in the sparse form of
    zkcore.poseidon_params.SparsePoseidon: 2t − 1 products per partial round instead of t²."""
    t = state.shape[0]
    half = full_c.shape[0] // 2
    scratch = np.empty_like(state)
    for r in range(half):
        _mds_round(state, full_c[r], mds, scratch)
    for r in range(partial_c.shape[0]):
        s0 = _sbox(fr_add(load_row(state, 0), load_row(partial_c, r)))
        row, col = rows[r], cols[r]
        n0 = fr_mul(load_row(row, 0), s0)
        for j in range(1, t):
            n0 = fr_add(n0, fr_mul(load_row(row, j), load_row(state, j)))
            x = fr_add(load_row(state, j), fr_mul(load_row(col, j - 1), s0))
            state[j, 0], state[j, 1], state[j, 2], state[j, 3] = x
        state[0, 0], state[0, 1], state[0, 2], state[0, 3] = n0
    for i in range(1, t):
        acc = fr_mul(load_row(after[i - 1], 0), load_row(state, 1))
        for j in range(2, t):
            acc = fr_add(acc, fr_mul(load_row(after[i - 1], j - 1), load_row(state, j)))
        scratch[i, 0], scratch[i, 1], scratch[i, 2], scratch[i, 3] = acc
    state[1:, :] = scratch[1:, :]
    for r in range(half, full_c.shape[0]):
        _mds_round(state, full_c[r], mds, scratch)


@njit(cache=True, nogil=True)
def _hash_row(inputs, row, init, full_c, partial_c, rows, cols, after, mds, n_out, out):
    t = inputs.shape[1] + 1
    state = np.empty((t, 4), dtype=np.uint64)
    state[0, 0], state[0, 1], state[0, 2], state[0, 3] = fr_to_mont(load_row(init, row))
    for i in range(1, t):
        state[i, 0], state[i, 1], state[i, 2], state[i, 3] = fr_to_mont(load_row(inputs[row], i - 1))
    permute_sparse(state, full_c, partial_c, rows, cols, after, mds)
    for k in range(n_out):
        out[row, k, 0], out[row, k, 1], out[row, k, 2], out[row, k, 3] = fr_from_mont(load_row(state, k))


@njit(parallel=True, cache=True, nogil=True)
def hash_many(inputs, init, full_c, partial_c, rows, cols, after, mds, n_out, parallel):
    """For each row of inputs ((n, t−1, 4), standard limbs, < r) and init ((n, 4)): the first
    n_out state words after the permutation, (n, n_out, 4), standard limbs. With `parallel`,
    rows are split across cores (not worth it for a handful of rows)."""
    n = inputs.shape[0]
    out = np.empty((n, n_out, 4), dtype=np.uint64)
    chunks = 64 if parallel else 1
    for c in prange(chunks):
        for row in range(c * n // chunks, (c + 1) * n // chunks):
            _hash_row(inputs, row, init, full_c, partial_c, rows, cols, after, mds, n_out, out)
    return out


# --- width 3 (two inputs): the Merkle-tree case, sparse form, state in registers --------------


@njit(cache=True, nogil=True)
def _full_round3(s0, s1, s2, c, m):
    s0 = _sbox(fr_add(s0, load_row(c, 0)))
    s1 = _sbox(fr_add(s1, load_row(c, 1)))
    s2 = _sbox(fr_add(s2, load_row(c, 2)))
    n0 = fr_add(fr_add(fr_mul(load_row(m[0], 0), s0), fr_mul(load_row(m[0], 1), s1)), fr_mul(load_row(m[0], 2), s2))
    n1 = fr_add(fr_add(fr_mul(load_row(m[1], 0), s0), fr_mul(load_row(m[1], 1), s1)), fr_mul(load_row(m[1], 2), s2))
    n2 = fr_add(fr_add(fr_mul(load_row(m[2], 0), s0), fr_mul(load_row(m[2], 1), s1)), fr_mul(load_row(m[2], 2), s2))
    return n0, n1, n2


@njit(cache=True, nogil=True)
def _permute3(s0, s1, s2, full_c, partial_c, rows, cols, after, mds):
    """The width-3 permutation in the sparse form of zkcore.poseidon_params.SparsePoseidon."""
    half = full_c.shape[0] // 2
    for r in range(half):
        s0, s1, s2 = _full_round3(s0, s1, s2, full_c[r], mds)
    for r in range(partial_c.shape[0]):
        s0 = _sbox(fr_add(s0, load_row(partial_c, r)))
        row, col = rows[r], cols[r]
        n0 = fr_add(fr_add(fr_mul(load_row(row, 0), s0), fr_mul(load_row(row, 1), s1)), fr_mul(load_row(row, 2), s2))
        s1 = fr_add(s1, fr_mul(load_row(col, 0), s0))
        s2 = fr_add(s2, fr_mul(load_row(col, 1), s0))
        s0 = n0
    a1 = fr_add(fr_mul(load_row(after[0], 0), s1), fr_mul(load_row(after[0], 1), s2))
    a2 = fr_add(fr_mul(load_row(after[1], 0), s1), fr_mul(load_row(after[1], 1), s2))
    s1, s2 = a1, a2
    for r in range(half, full_c.shape[0]):
        s0, s1, s2 = _full_round3(s0, s1, s2, full_c[r], mds)
    return s0


@njit(parallel=True, cache=True, nogil=True)
def hash_pairs3(inputs, full_c, partial_c, rows, cols, after, mds, parallel):
    """Poseidon(a, b) for rows (a, b) of inputs ((n, 2, 4), standard limbs): (n, 4)."""
    n = inputs.shape[0]
    out = np.empty((n, 4), dtype=np.uint64)
    zero = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    chunks = 64 if parallel else 1
    for c in prange(chunks):
        for row in range(c * n // chunks, (c + 1) * n // chunks):
            a = fr_to_mont(load_row(inputs[row], 0))
            b = fr_to_mont(load_row(inputs[row], 1))
            h = fr_from_mont(_permute3(zero, a, b, full_c, partial_c, rows, cols, after, mds))
            out[row, 0], out[row, 1], out[row, 2], out[row, 3] = h
    return out
