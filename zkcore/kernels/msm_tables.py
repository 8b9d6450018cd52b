"""Multi-scalar multiplication over bases known ahead, with every window's shift precomputed.

A prover multiplies the same proving-key points by a new witness each time. Storing
T[i, k] = 2^(k·c)·P_i once turns Σ s_i·P_i into Σ_{i,k} d_ik·T[i, k] for the signed base-2^c
digits d_ik of s_i: all windows share one set of 2^(c−1) buckets, so the per-window bucket
reduction and the c doublings between windows disappear, which in turn pays for a wider window
(c = 12 rather than 10 at 5,680 points on the scalar kernels: 22 windows instead of 26).

The points are shared out among the threads, each with all 2^(c−1) buckets of its own, and the
threads' sums added at the end. (Splitting the buckets by magnitude instead made every thread scan
every digit, and left the thread with the lowest buckets the top window's digits, which are small:
5,680 more additions at 5,680 points.) Each thread reduces its buckets: a reduction per thread, so
a reduction takes as long as one whole reduction did, where it took half.
"""

import numpy as np
from numba import njit, prange

from .curve import bucket_sum, jac_add, jac_double, join_windows
from .generic import f_inv, f_is_zero, f_mul, f_one_like, f_sqr, load_fe, store_fe
from .msm_affine import accumulate_affine, affine_range_sum
from .msm_lanes import accumulate_buckets

SCALAR_BITS = 254  # every scalar is < r < 2^254


def windows_for(c, bits=SCALAR_BITS):
    """Windows of signed base-2^c digits (curve.signed_digits) for any scalar < 2^bits: the top one
    absorbs the carry."""
    return -(-(bits + 1) // c)


@njit(cache=True, nogil=True)
def _normalize_into(jac, out, lo, hi):
    """Rows lo..hi−1 of Jacobian (n, 3, …) into affine out (n, 2, …) with one shared inversion;
    infinity (Z = 0) becomes (0, 0)."""
    prefix = np.empty((hi - lo,) + jac.shape[2:], dtype=np.uint64)
    acc = f_one_like(load_fe(jac, (lo, 2)))
    for i in range(lo, hi):
        store_fe(prefix, (i - lo,), acc)
        z = load_fe(jac, (i, 2))
        if not f_is_zero(z):
            acc = f_mul(acc, z)
    inv = f_inv(acc)
    for i in range(hi - 1, lo - 1, -1):
        z = load_fe(jac, (i, 2))
        if f_is_zero(z):
            continue
        zi = f_mul(inv, load_fe(prefix, (i - lo,)))
        inv = f_mul(inv, z)
        zi2 = f_sqr(zi)
        store_fe(out, (i, 0), f_mul(load_fe(jac, (i, 0)), zi2))
        store_fe(out, (i, 1), f_mul(load_fe(jac, (i, 1)), f_mul(zi2, zi)))


@njit(parallel=True, cache=True, nogil=True)
def window_tables(points, c, nwin):
    """T[i, k] = 2^(k·c)·P_i for affine points ((n, 2, 4) G1 or (n, 2, 2, 4) G2, (0, 0) =
    infinity): affine, (n, nwin) + points.shape[1:]."""
    n = points.shape[0]
    fe = points.shape[2:]
    jac = np.zeros((n * nwin, 3) + fe, dtype=np.uint64)  # Z = 0: infinity unless written
    for i in prange(n):
        qx = load_fe(points, (i, 0))
        qy = load_fe(points, (i, 1))
        if f_is_zero(qx) and f_is_zero(qy):
            continue
        p = (qx, qy, f_one_like(qx))
        for k in range(nwin):
            store_fe(jac, (i * nwin + k, 0), p[0])
            store_fe(jac, (i * nwin + k, 1), p[1])
            store_fe(jac, (i * nwin + k, 2), p[2])
            if k + 1 < nwin:
                for _ in range(c):
                    p = jac_double(p)
    out = np.zeros((n * nwin, 2) + fe, dtype=np.uint64)
    chunks = 16
    total = n * nwin
    for t in prange(chunks):
        lo, hi = t * total // chunks, (t + 1) * total // chunks
        if hi > lo:
            _normalize_into(jac, out, lo, hi)
    return out.reshape((n, nwin, 2) + fe)


@njit(cache=True, nogil=True)
def _store_sum(sums, t, s):
    store_fe(sums, (t, 0), s[0])
    store_fe(sums, (t, 1), s[1])
    store_fe(sums, (t, 2), s[2])


@njit(cache=True, nogil=True)
def _add_sums(sums):
    acc = (load_fe(sums, (0, 0)), load_fe(sums, (0, 1)), load_fe(sums, (0, 2)))
    for t in range(1, sums.shape[0]):
        acc = jac_add(acc, (load_fe(sums, (t, 0)), load_fe(sums, (t, 1)), load_fe(sums, (t, 2))))
    return acc


@njit(parallel=True, cache=True, nogil=True)
def msm_tables(tables, digits, c, parts):
    """Σ s_i·P_i in Jacobian form from window_tables(P) and curve.signed_digits(s), the points shared
    out among `parts` threads, each accumulating its buckets in affine coordinates (kernels.msm_affine)."""
    half = 1 << (c - 1)
    n, nwin = digits.shape
    fe = tables.shape[3:]
    rows = tables.reshape((tables.shape[0] * nwin,) + tables.shape[2:])
    sums = np.empty((parts, 3) + fe, dtype=np.uint64)
    for t in prange(parts):
        first, last = t * n // parts, (t + 1) * n // parts
        buckets = np.empty((half, 2) + fe, dtype=np.uint64)
        used = accumulate_affine(rows[first * nwin : last * nwin], digits[first:last], 0, half, buckets)
        _store_sum(sums, t, affine_range_sum(buckets, used, 0))
    return _add_sums(sums)


@njit(parallel=True, cache=True, nogil=True)
def msm_windows(points, digits, c, parts):
    """Σ s_i·P_i without window tables: Pippenger's windows, shared out whole among `parts`
    threads, each window's buckets accumulated in affine coordinates, the windows joined by c
    doublings each. points (n, 2, …) affine; digits (n, nwin) from curve.signed_digits.

    Whole windows rather than each window's buckets split over the threads: the threads then meet
    once, not once a window (a window of a 9,405-point MSM is ~0.5 ms of work; the meeting, and
    every thread scanning every digit, cost about as much again)."""
    nwin = digits.shape[1]
    half = 1 << (c - 1)
    fe = points.shape[2:]
    sums = np.empty((nwin, 3) + fe, dtype=np.uint64)
    for t in prange(parts):
        for w in range(t * nwin // parts, (t + 1) * nwin // parts):
            buckets = np.empty((half, 2) + fe, dtype=np.uint64)
            used = accumulate_affine(points, np.ascontiguousarray(digits[:, w : w + 1]), 0, half, buckets)
            _store_sum(sums, w, affine_range_sum(buckets, used, 0))
    return join_windows(sums, c)


@njit(parallel=True, cache=True, nogil=True)
def msm_tables_lanes(points52, finite, digits, c, parts):
    """msm_tables with the buckets filled on IFMA lanes (kernels.msm_lanes), from the tables in
    lane form (msm_lanes.lane_points) and their finite-point flags."""
    half = 1 << (c - 1)
    n, nwin = digits.shape
    fe = points52.shape[2:-1] + (4,)
    sums = np.empty((parts, 3) + fe, dtype=np.uint64)
    for t in prange(parts):
        first, last = t * n // parts, (t + 1) * n // parts
        buckets = np.empty((half, 3) + fe, dtype=np.uint64)
        used = accumulate_buckets(points52[first * nwin : last * nwin], finite[first * nwin : last * nwin],
                                  digits[first:last], buckets)
        _store_sum(sums, t, bucket_sum(buckets, used, half)[0])
    return _add_sums(sums)


@njit(parallel=True, cache=True, nogil=True)
def msm_windows_lanes(points52, finite, digits, c, parts):
    """msm_windows with the buckets filled on IFMA lanes from the points themselves in lane form
    (one "window" of msm_lanes.lane_points): for bases over the table memory budget."""
    nwin = digits.shape[1]
    half = 1 << (c - 1)
    fe = points52.shape[2:-1] + (4,)
    sums = np.empty((nwin, 3) + fe, dtype=np.uint64)
    for t in prange(parts):
        for w in range(t * nwin // parts, (t + 1) * nwin // parts):
            buckets = np.empty((half, 3) + fe, dtype=np.uint64)
            used = accumulate_buckets(points52, finite, np.ascontiguousarray(digits[:, w : w + 1]), buckets)
            _store_sum(sums, w, bucket_sum(buckets, used, half)[0])
    return join_windows(sums, c)
