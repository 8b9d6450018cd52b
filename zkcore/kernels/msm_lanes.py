"""Bucket accumulation for G1 and G2 MSMs on eight lanes with AVX-512 IFMA (kernels.ifma).

msm_tables puts every (point, window) digit into one of 2^(c−1) buckets. Here a thread's buckets
(all of them, for its share of the points) are sorted by how many points they receive and taken
eight at a time: lane l
adds its bucket's points one after another (Jacobian += affine, madd-2007-bl), while the other
lanes do the same for theirs, so the lanes never touch the same bucket. Lanes whose bucket is
shorter than the group's longest idle under a mask.

The formula has exceptions (adding a point to itself or to its negation). Both leave Z = 0 in
that lane, and Z stays 0 from then on (Z₃ = 2·Z₁·H), so one check of every bucket's Z at the end
finds them; such a bucket is redone with the scalar formulas, which handle them (a bucket that
really sums to infinity is redone too, and comes out unused).

Points enter as `lane_points` ((m, 2, 5) in G1, (m, 2, 2, 5) in G2: x and y of each table row,
radix-2^52 limbs of x·2^260 mod p per Fp component); buckets leave in the scalar kernels' form
(Montgomery with R = 2^256).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from . import ifma
from .constants import P
from .curve import bucket_add
from .fields import fq_dbl, fq_mul
from .generic import f_neg, load_fe
from .ifma import LANES, LIMBS, VectorExt, VectorField, join52, split52

_I64 = ir.IntType(64)
_TO_R256 = ifma.to_limbs((1 << 256) % P)  # a Montgomery product with this maps x·2^260 to x·2^256
_TO_R256_SCALAR = tuple(np.uint64(((1 << 252) % P) >> (64 * i) & (2**64 - 1)) for i in range(4))  # the same, R = 2^256
# Bounds of the accumulator's X, Y, Z words (each Fp component) that madd-2007-bl maps into
# themselves, per extension degree (found by ifma's bound tracking, which checks them).
ACC_BOUNDS = {1: (10 * P, 6 * P, 4 * P), 2: (26 * P, 22 * P, 26 * P)}


def _madd(v: VectorExt, acc, x2, y2):
    """(X1, Y1, Z1) + (x2, y2): madd-2007-bl for a = 0, with Z3 = 2·Z1·H."""
    x1, y1, z1 = acc
    z1z1 = v.sqr(z1)
    u2 = v.mul(x2, z1z1)
    s2 = v.mul(y2, v.mul(z1, z1z1))
    h = v.sub(u2, x1)
    hh = v.sqr(h)
    i = v.dbl(v.dbl(hh))
    j = v.mul(h, i)
    r = v.reduce(v.dbl(v.sub(s2, y1)))  # else r² grows with Y1's bound and the bounds never close
    vv = v.mul(x1, i)
    x3 = v.sub(v.sub(v.sqr(r), j), v.dbl(vv))
    y3 = v.sub(v.mul(r, v.sub(vv, x3)), v.dbl(v.mul(y1, j)))
    z3 = v.dbl(v.mul(z1, h))
    return [x3, y3, z3]


def _emit_group(builder, degree, pts, rows, signs, start, length, out):
    f = VectorField(builder, P)
    v = VectorExt(f, degree)
    b = builder
    vec_ptr = ifma.VEC.as_pointer()
    zeros = ir.Constant(ifma.VEC, [0] * LANES)

    def step_point(s):
        """The affine points of step s (negated where its sign says) and the lanes it skips."""
        at = b.mul(b.add(start, s), ir.Constant(_I64, LANES))
        row_vec = b.load(b.bitcast(b.gep(rows, [at]), vec_ptr), align=8)
        skip = b.icmp_signed("<", row_vec, zeros)
        negate = b.icmp_signed("!=", b.load(b.bitcast(b.gep(signs, [at]), vec_ptr), align=8), zeros)
        safe = b.select(skip, zeros, row_vec)
        lanes = [b.extract_element(safe, ir.Constant(ir.IntType(32), lane)) for lane in range(LANES)]

        def coordinate(k):  # element (row·2 + k)·degree + component of the (m, 2, degree, 5) points
            return tuple(
                f.gather(
                    pts,
                    [
                        b.add(b.mul(row, ir.Constant(_I64, 2 * degree)), ir.Constant(_I64, k * degree + c))
                        for row in lanes
                    ],
                )
                for c in range(degree)
            )

        y = coordinate(1)
        return coordinate(0), v.select(negate, v.neg(y), y), skip

    def flat(point):
        return [x for coord in point for x in coord]

    def nest(words):
        return [tuple(words[k * degree : (k + 1) * degree]) for k in range(3)]

    x, y, _ = step_point(ir.Constant(_I64, 0))
    acc = ifma.Carried(f, flat([x, y, v.one]), [bound for bound in ACC_BOUNDS[degree] for _ in range(degree)])
    with cgutils.for_range(b, b.sub(length, ir.Constant(_I64, 1))) as loop:
        x2, y2, skip = step_point(b.add(loop.index, ir.Constant(_I64, 1)))
        old = nest(acc.load())
        new = _madd(v, old, x2, y2)
        acc.save(flat([v.select(skip, o, n) for o, n in zip(old, new)]))
    to_r256 = f.raw(_TO_R256, P - 1)
    for k, word in enumerate(acc.load()):  # X0 (X1) Y0 (Y1) Z0 (Z1): out is (3, degree, 5, 8)
        f.store_lanes(out, k * LIMBS * LANES, f.canonical(f.mul(word, to_r256)))


@intrinsic
def _accumulate_group(typingctx, pts, rows, signs, start, length, out):
    """Lane l of `out` ((3, degree, 5, 8): X, Y, Z) = Σ_s ±pts[rows[start + s, l]] over s < length,
    for points (m, 2, 5) in G1 or (m, 2, 2, 5) in G2; rows < 0 are skipped (each lane's first
    row must be a point)."""
    degree = pts.ndim - 2
    sig = types.void(pts, rows, signs, start, length, out)

    def codegen(context, builder, signature, args):
        pts_p, rows_p, signs_p, out_p = (
            context.make_array(signature.args[k])(context, builder, args[k]).data for k in (0, 1, 2, 5)
        )
        rows_p = builder.bitcast(rows_p, _I64.as_pointer())
        signs_p = builder.bitcast(signs_p, _I64.as_pointer())
        _emit_group(builder, degree, pts_p, rows_p, signs_p, args[3], args[4], out_p)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def lane_points(tables):
    """Table rows ((n, nwin, 2, 4) G1 or (n, nwin, 2, 2, 4) G2, Montgomery R = 2^256) as
    (n·nwin, 2, 5) or (n·nwin, 2, 2, 5) radix-2^52 limbs of x·2^260 mod p; infinity stays 0."""
    m = tables.shape[0] * tables.shape[1]
    degree = tables.size // (m * 8)
    flat = tables.reshape((m, 2, degree, 4))
    out = np.zeros((m, 2) + tables.shape[3:-1] + (LIMBS,), dtype=np.uint64)
    view = out.reshape((m, 2, degree, LIMBS))
    for r in range(m):
        for c in range(2):
            for e in range(degree):
                w = load_fe(flat, (r, c, e))
                for _ in range(4):
                    w = fq_dbl(w)
                limbs = split52(w[0], w[1], w[2], w[3])
                for j in range(LIMBS):
                    view[r, c, e, j] = limbs[j]
    return out


@njit(cache=True, nogil=True)
def _schedule(digits, finite, m):
    """For buckets 0..m−1 (digit ±(j + 1) → bucket j): table rows and signs, (steps, LANES),
    grouped eight buckets at a time (longest first), each group's first step and length, and each
    group's bucket per lane.

    Two scans of the digits, one to count and one to place. Zero digits and rows at infinity go
    to a spare slot past the end rather than through a branch: 0.83 against 0.35 ms for the
    count of a 5,680-point MSM's 147,680 digits when a branch chose half of them."""
    n, nwin = digits.shape
    counts = np.zeros(m + 1, dtype=np.int64)
    for i in range(n):
        for k in range(nwin):
            j = _bucket_of(digits[i, k], finite[i * nwin + k], m)
            counts[j] += 1
    order = np.argsort(-counts[:m], kind="mergesort")
    used = 0
    while used < m and counts[order[used]] > 0:
        used += 1
    groups = (used + LANES - 1) // LANES
    group_start = np.zeros(groups + 1, dtype=np.int64)
    bucket_of = np.full((groups, LANES), -1, dtype=np.int64)
    for r in range(used):
        bucket_of[r // LANES, r % LANES] = order[r]
    for g in range(groups):
        group_start[g + 1] = group_start[g] + counts[order[g * LANES]]
    slots = group_start[groups] * LANES
    at = np.full(m + 1, slots, dtype=np.int64)  # bucket → its next step's slot; m → the spare slot
    for r in range(used):
        at[order[r]] = group_start[r // LANES] * LANES + r % LANES
    rows = np.full(slots + 1, -1, dtype=np.int64)
    signs = np.zeros(slots + 1, dtype=np.int64)
    for i in range(n):
        for k in range(nwin):
            d = digits[i, k]
            j = _bucket_of(d, finite[i * nwin + k], m)
            slot = at[j]
            rows[slot] = i * nwin + k
            signs[slot] = d < 0
            at[j] = slot + (LANES if j < m else 0)
    return rows[:slots].reshape((-1, LANES)), signs[:slots].reshape((-1, LANES)), group_start, bucket_of


@njit(inline="always", cache=True)
def _bucket_of(d, finite, m):
    """d's bucket if d ≠ 0 and its table row is a finite point, else m (the spare)."""
    j = np.int64(abs(d)) - 1
    return j if (np.uint64(j) < np.uint64(m)) & finite else m


def _load_point52(pts, row):
    raise TypeError("only callable from numba-compiled code")


@overload(_load_point52)
def _load_point52_impl(pts, row):
    """Row `row` of lane-form points as a scalar-kernel affine point (Fq or Fq2 coordinates,
    Montgomery R = 2^256): a Montgomery product with 2^252 turns x·2^260 into x·2^256."""
    if pts.ndim == 3:

        def g1(pts, row):
            x = join52(pts[row, 0, 0], pts[row, 0, 1], pts[row, 0, 2], pts[row, 0, 3], pts[row, 0, 4])
            y = join52(pts[row, 1, 0], pts[row, 1, 1], pts[row, 1, 2], pts[row, 1, 3], pts[row, 1, 4])
            return fq_mul(x, _TO_R256_SCALAR), fq_mul(y, _TO_R256_SCALAR)

        return g1

    def g2(pts, row):
        c = [
            fq_mul(
                join52(pts[row, k, e, 0], pts[row, k, e, 1], pts[row, k, e, 2], pts[row, k, e, 3], pts[row, k, e, 4]),
                _TO_R256_SCALAR,
            )
            for k in range(2)
            for e in range(2)
        ]
        return (c[0], c[1]), (c[2], c[3])

    return g2


@njit(cache=True, nogil=True)
def _redo_lane(pts, rows, signs, start, stop, lane, buckets, j):
    """Bucket j from its points with the scalar formulas, which handle P + P and P − P."""
    used = np.zeros(1, dtype=np.bool_)
    for s in range(start, stop):
        row = rows[s, lane]
        if row < 0:
            continue
        qx, qy = _load_point52(pts, row)
        if signs[s, lane]:
            qy = f_neg(qy)
        bucket_add(buckets[j : j + 1], used, 0, qx, qy)
    return used[0]


@njit(cache=True, nogil=True)
def accumulate_buckets(pts, finite, digits, buckets):
    """The buckets (m = 2^(c−1) of them: (m, 3, 4) in G1 or (m, 3, 2, 4) in G2, Jacobian,
    R = 2^256) and their used flags. A bucket whose lane met an exceptional addition (its Z is 0)
    is redone with the scalar formulas."""
    m = buckets.shape[0]
    rows, signs, group_start, bucket_of = _schedule(digits, finite, m)
    degree = pts.shape[2] if pts.ndim == 4 else 1
    flat = buckets.reshape((m, 3, degree, 4))
    used = np.zeros(m, dtype=np.bool_)
    out = np.empty((3,) + pts.shape[2:] + (LANES,), dtype=np.uint64)
    words = out.reshape((3, degree, LIMBS, LANES))
    for g in range(bucket_of.shape[0]):
        _accumulate_group(pts, rows, signs, group_start[g], group_start[g + 1] - group_start[g], out)
        for lane in range(LANES):
            j = bucket_of[g, lane]
            if j < 0:
                continue
            z = np.uint64(0)
            for c in range(3):
                for e in range(degree):
                    w = join52(
                        words[c, e, 0, lane],
                        words[c, e, 1, lane],
                        words[c, e, 2, lane],
                        words[c, e, 3, lane],
                        words[c, e, 4, lane],
                    )
                    for k in range(4):
                        flat[j, c, e, k] = w[k]
                        if c == 2:
                            z |= w[k]
            used[j] = True
            if z == 0:
                used[j] = _redo_lane(pts, rows, signs, group_start[g], group_start[g + 1], lane, buckets, j)
    return used
