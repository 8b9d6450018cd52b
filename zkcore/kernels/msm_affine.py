"""Bucket accumulation in affine coordinates, one field inversion per round (the scalar path).

An affine addition costs one inversion and 3 multiplications (λ = (y₂ − y₁)/(x₂ − x₁),
x₃ = λ² − x₁ − x₂, y₃ = λ(x₁ − x₃) − y₁). Montgomery's trick turns a batch of inversions into
one inversion and 3 multiplications each, so an addition costs ~6 multiplications against ~11 for
Jacobian += affine (madd-2007-bl). The price is that the additions of a batch must be independent.

Here they are by construction: the points bound for each bucket are laid out together, and each
round adds them in pairs (elements 2t and 2t + 1 of every bucket's list become element t), so
every addition of a round touches its own two points; a bucket of k points takes ⌈log₂ k⌉ rounds
and k − 1 additions, as adding them one by one would. All the round's denominators share one
inversion.

Exceptional pairs are classified before the inversion: equal points are doubled (λ = 3x²/2y; y
is never 0, G1 and G2 have no point of order 2), opposite points give infinity, and infinity
plus P is P. Each of them contributes 1 to the batch so the product stays invertible.

The layout of the inputs is msm_lanes's: points (m, 2, 4) in G1 or (m, 2, 2, 4) in G2 (affine,
Montgomery, (0, 0) = infinity), where row i·nwin + k holds the point that digit (i, k) multiplies.
"""

import numpy as np
from numba import njit

from .curve import jac_add, jac_add_affine, jac_double, jac_infinity_like
from .generic import f_add, f_dbl, f_eq, f_inv, f_is_zero, f_mul, f_neg, f_one_like, f_sqr, f_sub, load_fe, store_fe

_ADD, _DOUBLE, _CANCEL, _TAKE_A, _TAKE_B = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def _gather(points, digits, lo, hi):
    """The finite points of buckets lo..hi−1, negated where their digit is, grouped by bucket:
    (work (E, 2, …), start (hi − lo + 1) offsets into it)."""
    n, nwin = digits.shape
    m = hi - lo
    start = np.zeros(m + 1, dtype=np.int64)
    for i in range(n):
        for k in range(nwin):
            d = digits[i, k]
            j = (d if d > 0 else -d) - 1
            if lo <= j < hi:
                x = load_fe(points, (i * nwin + k, 0))
                y = load_fe(points, (i * nwin + k, 1))
                if not (f_is_zero(x) and f_is_zero(y)):
                    start[j - lo + 1] += 1
    for j in range(m):
        start[j + 1] += start[j]
    work = np.empty((start[m], 2) + points.shape[2:], dtype=np.uint64)
    fill = start[:m].copy()
    for i in range(n):
        for k in range(nwin):
            d = digits[i, k]
            j = (d if d > 0 else -d) - 1
            if lo <= j < hi:
                x = load_fe(points, (i * nwin + k, 0))
                y = load_fe(points, (i * nwin + k, 1))
                if f_is_zero(x) and f_is_zero(y):
                    continue
                at = fill[j - lo]
                fill[j - lo] += 1
                store_fe(work, (at, 0), x)
                store_fe(work, (at, 1), f_neg(y) if d < 0 else y)
    return work, start


@njit(cache=True, nogil=True)
def _invert_in_place(den, count):
    """den[0..count−1] ← their inverses (none is zero), one inversion in all."""
    if count == 0:
        return
    prefix = np.empty((count,) + den.shape[1:], dtype=np.uint64)
    acc = f_one_like(load_fe(den, (0,)))
    for p in range(count):
        store_fe(prefix, (p,), acc)
        acc = f_mul(acc, load_fe(den, (p,)))
    inv = f_inv(acc)
    for p in range(count - 1, -1, -1):
        d = load_fe(den, (p,))
        store_fe(den, (p,), f_mul(inv, load_fe(prefix, (p,))))
        inv = f_mul(inv, d)


@njit(cache=True, nogil=True)
def accumulate_affine(points, digits, lo, hi, buckets):
    """Buckets lo..hi−1 as affine buckets[0..hi−lo−1] ((hi − lo, 2, 4) in G1, (hi − lo, 2, 2, 4)
    in G2): bucket j − lo = Σ sign(d)·point over the digits d with |d| − 1 = j. Returns the flags
    of the buckets that hold a point (a bucket that sums to infinity is not used)."""
    m = hi - lo
    work, start = _gather(points, digits, lo, hi)
    count = np.empty(m, dtype=np.int64)
    for j in range(m):
        count[j] = start[j + 1] - start[j]
    infinite = np.zeros(work.shape[0], dtype=np.bool_)
    den = np.empty((work.shape[0] // 2 + 1,) + work.shape[2:], dtype=np.uint64)
    kind = np.empty(work.shape[0] // 2 + 1, dtype=np.int8)
    while True:
        pairs = 0
        for j in range(m):  # classify each pair, collect its denominator
            s = start[j]
            for t in range(count[j] // 2):
                a, b = s + 2 * t, s + 2 * t + 1
                one = f_one_like(load_fe(work, (a, 0)))
                if infinite[a]:
                    kind[pairs], d = _TAKE_B, one
                elif infinite[b]:
                    kind[pairs], d = _TAKE_A, one
                else:
                    xa, xb = load_fe(work, (a, 0)), load_fe(work, (b, 0))
                    if not f_eq(xa, xb):
                        kind[pairs], d = _ADD, f_sub(xb, xa)
                    elif f_eq(load_fe(work, (a, 1)), load_fe(work, (b, 1))):
                        kind[pairs], d = _DOUBLE, f_dbl(load_fe(work, (a, 1)))
                    else:
                        kind[pairs], d = _CANCEL, one
                store_fe(den, (pairs,), d)
                pairs += 1
        if pairs == 0:
            break
        _invert_in_place(den, pairs)
        p = 0
        for j in range(m):  # element t of the bucket ← elements 2t and 2t + 1 (t ≤ 2t: read first)
            s, c = start[j], count[j]
            for t in range(c // 2):
                a, b, out = s + 2 * t, s + 2 * t + 1, s + t
                k = kind[p]
                if k == _ADD or k == _DOUBLE:
                    xa, ya = load_fe(work, (a, 0)), load_fe(work, (a, 1))
                    xb = load_fe(work, (b, 0))
                    if k == _ADD:
                        lam = f_mul(f_sub(load_fe(work, (b, 1)), ya), load_fe(den, (p,)))
                    else:
                        xx = f_sqr(xa)
                        lam = f_mul(f_add(f_dbl(xx), xx), load_fe(den, (p,)))
                    x3 = f_sub(f_sub(f_sqr(lam), xa), xb)  # xb = xa when doubling
                    y3 = f_sub(f_mul(lam, f_sub(xa, x3)), ya)
                    store_fe(work, (out, 0), x3)
                    store_fe(work, (out, 1), y3)
                    infinite[out] = False
                elif k == _CANCEL:
                    infinite[out] = True
                else:
                    src = a if k == _TAKE_A else b
                    if src != out:
                        work[out] = work[src]
                    infinite[out] = infinite[src]
                p += 1
            if c & 1:
                work[s + c // 2] = work[s + c - 1]
                infinite[s + c // 2] = infinite[s + c - 1]
            count[j] = (c + 1) // 2
    used = np.zeros(m, dtype=np.bool_)
    for j in range(m):
        if count[j] == 1 and not infinite[start[j]]:
            buckets[j] = work[start[j]]
            used[j] = True
    return used


@njit(cache=True, nogil=True)
def affine_range_sum(buckets, used, lo):
    """Σ_j (lo + j + 1)·B_j over affine buckets B_0..B_(m−1) (Jacobian), by running sums from the
    top: Σ (j + 1)·B_j + lo·Σ B_j."""
    m = buckets.shape[0]
    running = jac_infinity_like(load_fe(buckets, (0, 0)))
    total = running
    for j in range(m - 1, -1, -1):
        if used[j]:
            running = jac_add_affine(running, load_fe(buckets, (j, 0)), load_fe(buckets, (j, 1)))
        total = jac_add(total, running)
    times = jac_infinity_like(load_fe(buckets, (0, 0)))  # lo·running by double-and-add
    bit = 1
    while bit <= lo:
        bit <<= 1
    bit >>= 1
    while bit > 0:
        times = jac_double(times)
        if lo & bit:
            times = jac_add(times, running)
        bit >>= 1
    return jac_add(total, times)
