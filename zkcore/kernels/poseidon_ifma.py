"""Width-3 Poseidon (two inputs, Merkle trees) on eight hashes at once with AVX-512 IFMA.

The same sparse-form permutation as kernels.poseidon._permute3, with each of the eight lanes
carrying a different hash (kernels.ifma explains the arithmetic). The whole permutation is one
numba intrinsic: its IR keeps the state in vector registers through the rounds, which numba's
tuples of scalars could not. Import-safe everywhere; compiling it needs `ifma.available()`.

Constants are prepared by `constants(sparse)`: one flat uint64 array of Montgomery limbs (R = 2^260).
Every round's values stay below 2^258 (checked by ifma's bound tracking), so no round reduces.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import ifma
from .constants import R
from .ifma import LANES, LIMBS, VectorField, join52, split52

_I64 = ir.IntType(64)
ROUNDS = (8, 57)  # circomlib's R_F and R_P for t = 3, compiled into the kernel


def constants(sparse) -> np.ndarray:
    """zkcore.poseidon_params.SparsePoseidon for t = 3 as the kernel's flat array of Montgomery limbs."""
    assert (sparse.t, sparse.full_rounds, sparse.partial_rounds) == (3, *ROUNDS)
    words: list[int] = []
    for group in (
        sparse.full_constants,
        [sparse.partial_constants],
        sparse.sparse_first_row,
        sparse.sparse_column,
        sparse.after_partial,
        sparse.mds,
    ):
        for row in group:
            for c in row:
                words += ifma.to_mont(c, R)
    return np.array(words, dtype=np.uint64)


def _emit_permutation(builder: ir.IRBuilder, lanes_ptr, out_ptr, const_ptr, full: int, partial: int) -> None:
    """lanes: (2, 5, 8) standard-form limbs of the two inputs; out: (5, 8) canonical hashes."""
    v = VectorField(builder, R)
    b = builder
    step = LIMBS
    full_at = 0
    partial_at = full_at + full * 3 * step
    rows_at = partial_at + partial * step
    cols_at = rows_at + partial * 3 * step
    after_at = cols_at + partial * 2 * step
    mds_at = after_at + 4 * step

    mds = [[v.load_const(const_ptr, mds_at + (3 * i + j) * step) for j in range(3)] for i in range(3)]
    state = [
        v.zero,
        v.into_montgomery(v.load_lanes(lanes_ptr, 0)),
        v.into_montgomery(v.load_lanes(lanes_ptr, LIMBS * LANES)),
    ]
    # A round leaves each word a sum of three products: below 5p. A partial round adds one product
    # (below 1.02p) to s1 and s2, which are not reduced until the partial rounds end (< 64p).
    full_bounds = [5 * R] * 3

    def full_rounds(entry, first: int, count: int):
        carried = ifma.Carried(v, entry, full_bounds)
        with cgutils.for_range(b, ir.Constant(_I64, count)) as loop:
            s = carried.load()
            base = b.mul(b.add(loop.index, ir.Constant(_I64, first)), ir.Constant(_I64, 3 * step))
            s = [
                v.sbox(v.add(s[i], v.load_const(const_ptr, b.add(base, ir.Constant(_I64, i * step))))) for i in range(3)
            ]
            carried.save([v.dot(mds[i], s) for i in range(3)])
        return carried.load()

    state = full_rounds(state, 0, full // 2)
    growth = 102 * R // 100
    carried = ifma.Carried(v, state, full_bounds, partial, [0, growth, growth])
    with cgutils.for_range(b, ir.Constant(_I64, partial)) as loop:
        s0, s1, s2 = carried.load()
        r = loop.index
        s0 = v.sbox(
            v.add(s0, v.load_const(const_ptr, b.add(b.mul(r, ir.Constant(_I64, step)), ir.Constant(_I64, partial_at))))
        )
        row = b.add(b.mul(r, ir.Constant(_I64, 3 * step)), ir.Constant(_I64, rows_at))
        col = b.add(b.mul(r, ir.Constant(_I64, 2 * step)), ir.Constant(_I64, cols_at))
        coeffs = [v.load_const(const_ptr, b.add(row, ir.Constant(_I64, j * step))) for j in range(3)]
        n0 = v.dot(coeffs, [s0, s1, s2])
        s1 = v.add(s1, v.mul(v.load_const(const_ptr, col), s0))
        s2 = v.add(s2, v.mul(v.load_const(const_ptr, b.add(col, ir.Constant(_I64, step))), s0))
        carried.save([n0, s1, s2])
    s0, s1, s2 = carried.load()
    after = [[v.load_const(const_ptr, after_at + (2 * i + j) * step) for j in range(2)] for i in range(2)]
    state = full_rounds([s0, v.dot(after[0], [s1, s2]), v.dot(after[1], [s1, s2])], full // 2, full - full // 2)
    v.store_lanes(out_ptr, 0, v.out_of_montgomery(state[0]))


def _data(context, builder, ty, value):
    return context.make_array(ty)(context, builder, value).data


@intrinsic
def _permute_lanes(typingctx, lanes, out, consts, full, partial):
    """Poseidon(a, b) for eight lanes: lanes (2, 5, 8), out (5, 8), consts from constants(…)."""
    if not all(isinstance(a, types.Array) and a.dtype == types.uint64 for a in (lanes, out, consts)):
        return None
    if not all(isinstance(a, types.IntegerLiteral) for a in (full, partial)):
        return None
    rounds = (full.literal_value, partial.literal_value)
    sig = types.void(lanes, out, consts, full, partial)

    def codegen(context, builder, signature, args):
        ptrs = [_data(context, builder, signature.args[k], args[k]) for k in range(3)]
        _emit_permutation(builder, *ptrs, *rounds)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def _load_block(inputs, start, block):
    """Rows start..start+7 of inputs ((n, 2, 4) uint64) as radix-2^52 lanes; short blocks repeat
    their first row."""
    n = inputs.shape[0]
    for lane in range(LANES):
        row = start + lane if start + lane < n else start
        for k in range(2):
            limbs = split52(inputs[row, k, 0], inputs[row, k, 1], inputs[row, k, 2], inputs[row, k, 3])
            for j in range(LIMBS):
                block[k, j, lane] = limbs[j]


@njit(cache=True, nogil=True)
def _store_block(res, start, out):
    for lane in range(min(LANES, out.shape[0] - start)):
        words = join52(res[0, lane], res[1, lane], res[2, lane], res[3, lane], res[4, lane])
        for j in range(4):
            out[start + lane, j] = words[j]


@njit(parallel=True, cache=True, nogil=True)
def hash_pairs3(inputs, consts, parallel):
    """Poseidon(a, b) for rows (a, b) of inputs ((n, 2, 4), standard limbs, < r): (n, 4)."""
    n = inputs.shape[0]
    out = np.empty((n, 4), dtype=np.uint64)
    blocks = (n + LANES - 1) // LANES
    chunks = min(64, blocks) if parallel else 1
    for c in prange(chunks):
        lanes = np.empty((2, LIMBS, LANES), dtype=np.uint64)
        res = np.empty((LIMBS, LANES), dtype=np.uint64)
        for blk in range(c * blocks // chunks, (c + 1) * blocks // chunks):
            _load_block(inputs, blk * LANES, lanes)
            _permute_lanes(lanes, res, consts, ROUNDS[0], ROUNDS[1])
            _store_block(res, blk * LANES, out)
    return out
