"""The radix-2 NTT of kernels.ntt on eight lanes with AVX-512 IFMA (kernels.ifma).

A row of n elements is held as m = n/8 vectors, lane l of vector j being element l·m + j: each
lane holds one eighth of the row. After the bit reversal, a decimation-in-time stage of length
L ≤ m joins blocks inside one eighth, so all eight lanes run the same butterfly on the same
twiddle, vector against vector. The last three stages (L = 2m, 4m, 8m) pair lane l with lane
l xor h (h = 1, 2, 4) of the same vector: there every lane computes its pair's product (twice
the products of an inner stage) on its own twiddle, and keeps the sum or the difference.

Elements stay in the scalar kernels' Montgomery form (R = 2^256). Twiddles enter as x·2^260,
so a lane product (which divides by 2^260) leaves a product in that same form, and every value
is brought back below r before it is stored: a stored vector is always canonical limbs.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from . import ifma
from .batch import load_row, store_row
from .constants import R
from .fields import fr_add
from .ifma import LANES, LIMBS, Lazy, VectorField, join52, split52

VECTOR_WORDS = LIMBS * LANES  # one vector of a row: five limb rows of eight lanes
CROSS_STAGES = 3  # log₂ LANES: the stages that pair lanes
_I64 = ir.IntType(64)


def _pointers(context, builder, signature, args, which):
    return [context.make_array(signature.args[k])(context, builder, args[k]).data for k in which]


def _vector_offset(builder, j):
    return builder.mul(j, ir.Constant(_I64, VECTOR_WORDS))


def _butterfly_sum_difference(f: VectorField, u: Lazy, v: Lazy, w: Lazy):
    """(u + v·w, u − v·w), canonical, for canonical u, v, w."""
    t = Lazy(f.canonical(f.mul(v, w)), f.p - 1)
    return f.canonical(f.add(u, t)), f.canonical(f.sub(u, t))


@intrinsic
def _inner(typingctx, buf, j1, j2, twiddles, t):
    """Vectors j1 and j2 of buf ← (x1 + x2·ω_t, x1 − x2·ω_t), ω_t row t of `twiddles` ((k, 5)) in
    every lane."""
    sig = types.void(buf, j1, j2, twiddles, t)

    def codegen(context, builder, signature, args):
        buf_p, tw_p = _pointers(context, builder, signature, args, (0, 3))
        f = VectorField(builder, R)
        at1, at2 = _vector_offset(builder, args[1]), _vector_offset(builder, args[2])
        w = f.load_const(tw_p, builder.mul(args[4], ir.Constant(_I64, LIMBS)))
        top, bottom = _butterfly_sum_difference(f, f.load_lanes(buf_p, at1), f.load_lanes(buf_p, at2), w)
        f.store_lanes(buf_p, at1, top)
        f.store_lanes(buf_p, at2, bottom)
        return context.get_dummy_value()

    return sig, codegen


def _cross_intrinsic(h: int):
    """Vector j of buf: lanes l and l xor h (l without bit h) ← (x_l + x_(l xor h)·ω, x_l −
    x_(l xor h)·ω), ω lane by lane from vector `at` of `twiddles` (the same for both lanes of a pair)."""
    partner = ir.Constant(ir.VectorType(ir.IntType(32), LANES), [lane ^ h for lane in range(LANES)])
    upper = ir.Constant(ir.VectorType(ir.IntType(1), LANES), [bool(lane & h) for lane in range(LANES)])

    @intrinsic
    def cross(typingctx, buf, j, twiddles, at):
        sig = types.void(buf, j, twiddles, at)

        def codegen(context, builder, signature, args):
            buf_p, tw_p = _pointers(context, builder, signature, args, (0, 2))
            f = VectorField(builder, R)
            offset = _vector_offset(builder, args[1])
            x = f.load_lanes(buf_p, offset)
            undefined = ir.Constant(ifma.VEC, None)
            swapped = Lazy(tuple(builder.shuffle_vector(limb, undefined, partner) for limb in x.limbs), x.bound)
            lower_half = f.select(upper, swapped, x)  # every lane: its pair's lane without bit h …
            upper_half = f.select(upper, x, swapped)  # … and the lane with it
            w = f.load_lanes(tw_p, _vector_offset(builder, args[3]))
            top, bottom = _butterfly_sum_difference(f, lower_half, upper_half, w)
            f.store_lanes(buf_p, offset, tuple(builder.select(upper, d, s) for s, d in zip(top, bottom)))
            return context.get_dummy_value()

        return sig, codegen

    return cross


_cross1, _cross2, _cross4 = (_cross_intrinsic(1 << s) for s in range(CROSS_STAGES))


@intrinsic
def _scale(typingctx, buf, j, table):
    """Vector j of buf ← its product with vector j of `table` (lane-wise, x·2^260 form)."""
    sig = types.void(buf, j, table)

    def codegen(context, builder, signature, args):
        buf_p, table_p = _pointers(context, builder, signature, args, (0, 2))
        f = VectorField(builder, R)
        offset = _vector_offset(builder, args[1])
        f.store_lanes(buf_p, offset, f.canonical(f.mul(f.load_lanes(buf_p, offset), f.load_lanes(table_p, offset))))
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def _reversed_bits(i, bits):
    r = 0
    for _ in range(bits):
        r = (r << 1) | (i & 1)
        i >>= 1
    return r


@njit(cache=True, nogil=True)
def _load_bit_reversed(row, buf, log_n):
    """buf (m, 5, 8) ← row ((n, 4)) in bit-reversed order: position l·m + j in lane l of vector j."""
    m = row.shape[0] // LANES
    for i in range(row.shape[0]):
        w = load_row(row, _reversed_bits(i, log_n))
        limbs = split52(w[0], w[1], w[2], w[3])
        j, lane = i % m, i // m
        for k in range(LIMBS):
            buf[j, k, lane] = limbs[k]


@njit(cache=True, nogil=True)
def _store_natural(buf, row):
    m = buf.shape[0]
    for i in range(row.shape[0]):
        j, lane = i % m, i // m
        store_row(row, i, join52(buf[j, 0, lane], buf[j, 1, lane], buf[j, 2, lane], buf[j, 3, lane], buf[j, 4, lane]))


@njit(cache=True, nogil=True)
def _stages(buf, twiddles, cross):
    """Every stage of the transform on a bit-reversed buf (see the module's docstring)."""
    m = buf.shape[0]
    n = m * LANES
    length = 2
    while length <= m:
        half, step = length >> 1, n // length
        for block in range(0, m, length):
            for k in range(half):
                _inner(buf, block + k, block + k + half, twiddles, k * step)
        length <<= 1
    for j in range(m):
        _cross1(buf, j, cross, j)
    for j in range(m):
        _cross2(buf, j, cross, m + j)
    for j in range(m):
        _cross4(buf, j, cross, 2 * m + j)


@njit(parallel=True, cache=True, nogil=True)
def transform_rows(stack, twiddles, cross, scale):
    """The transform of every row of `stack` ((k, n, 4), n ≥ 8, in place; rows in parallel),
    then, if `scale` has rows, each output multiplied by its element of `scale`: the inverse's 1/n
    and a coset's shift ride along. Tables from lane_twiddles, cross_twiddles and lane_table."""
    k, n = stack.shape[0], stack.shape[1]
    log_n = 0
    while (1 << log_n) < n:
        log_n += 1
    for t in prange(k):
        buf = np.empty((n // LANES, LIMBS, LANES), dtype=np.uint64)
        _load_bit_reversed(stack[t], buf, log_n)
        _stages(buf, twiddles, cross)
        if scale.shape[0]:
            for j in range(buf.shape[0]):
                _scale(buf, j, scale)
        _store_natural(buf, stack[t])


@njit(cache=True, nogil=True)
def lane_twiddles(values):
    """(n, 4) Montgomery (R = 2^256) scalars as (n, 5) limbs of x·2^260 mod r."""
    out = np.empty((values.shape[0], LIMBS), dtype=np.uint64)
    for i in range(values.shape[0]):
        w = load_row(values, i)
        for _ in range(4):
            w = fr_add(w, w)
        limbs = split52(w[0], w[1], w[2], w[3])
        for k in range(LIMBS):
            out[i, k] = limbs[k]
    return out


def cross_twiddles(twiddles52: np.ndarray, n: int) -> np.ndarray:
    """The last three stages' twiddles, (3·m, 5, 8): for the stage pairing lanes h apart, lane l
    of vector j takes ω^(((l mod h)·m + j)·4/h) (its position in a block of length 2·h·m)."""
    m = n // LANES
    j = np.arange(m)[:, None]
    rows = []
    for s in range(CROSS_STAGES):
        h = 1 << s
        index = ((np.arange(LANES)[None, :] % h) * m + j) * (4 // h)  # (m, 8)
        rows.append(twiddles52[index].transpose(0, 2, 1))  # (m, 5, 8)
    return np.ascontiguousarray(np.concatenate(rows))


def lane_table(values52: np.ndarray) -> np.ndarray:
    """(n, 5) limbs by position as the (m, 5, 8) layout of a row: position l·m + j → lane l of vector j."""
    m = values52.shape[0] // LANES
    return np.ascontiguousarray(values52.reshape(LANES, m, LIMBS).transpose(1, 2, 0))
