"""Short-Weierstrass y² = x³ + b (a = 0) in Jacobian coordinates, generic over Fq (G1) and Fq2 (G2).

A Jacobian point (X, Y, Z) is the affine point (X/Z², Y/Z³); Z = 0 is the point at infinity.
An affine point (x, y) uses (0, 0) for infinity, which is never on either curve (b ≠ 0).
Formulas: dbl-2009-l, add-2007-bl, madd-2007-bl from the Explicit-Formulas Database.
"""

import numpy as np
from numba import njit, prange

from .batch import batch_inv
from .constants import P as _P_INT
from .generic import (
    f_add,
    f_dbl,
    f_eq,
    f_inv,
    f_is_zero,
    f_mul,
    f_neg,
    f_one_like,
    f_sqr,
    f_sub,
    f_zero_like,
    load_fe,
    store_fe,
)


@njit(cache=True, nogil=True)
def jac_infinity_like(x):
    one = f_one_like(x)
    return (one, one, f_zero_like(x))


@njit(cache=True, nogil=True)
def jac_is_infinity(p):
    return f_is_zero(p[2])



@njit(cache=True, nogil=True)
def jac_double(p):
    x, y, z = p
    a = f_sqr(x)
    b = f_sqr(y)
    c = f_sqr(b)
    d = f_dbl(f_sub(f_sub(f_sqr(f_add(x, b)), a), c))
    e = f_add(f_dbl(a), a)
    f = f_sqr(e)
    x3 = f_sub(f, f_dbl(d))
    c8 = f_dbl(f_dbl(f_dbl(c)))
    y3 = f_sub(f_mul(e, f_sub(d, x3)), c8)
    z3 = f_dbl(f_mul(y, z))
    return (x3, y3, z3)


@njit(cache=True, nogil=True)
def jac_add(p, q):
    if jac_is_infinity(p):
        return q
    if jac_is_infinity(q):
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1z1 = f_sqr(z1)
    z2z2 = f_sqr(z2)
    u1 = f_mul(x1, z2z2)
    u2 = f_mul(x2, z1z1)
    s1 = f_mul(f_mul(y1, z2), z2z2)
    s2 = f_mul(f_mul(y2, z1), z1z1)
    h = f_sub(u2, u1)
    r = f_dbl(f_sub(s2, s1))
    if f_is_zero(h):
        if f_is_zero(r):
            return jac_double(p)
        return jac_infinity_like(x1)
    i = f_sqr(f_dbl(h))
    j = f_mul(h, i)
    v = f_mul(u1, i)
    x3 = f_sub(f_sub(f_sqr(r), j), f_dbl(v))
    y3 = f_sub(f_mul(r, f_sub(v, x3)), f_dbl(f_mul(s1, j)))
    z3 = f_mul(f_sub(f_sub(f_sqr(f_add(z1, z2)), z1z1), z2z2), h)
    return (x3, y3, z3)


@njit(cache=True, nogil=True)
def jac_add_affine(p, qx, qy):
    """p + (qx, qy) for an affine q that is not infinity."""
    if jac_is_infinity(p):
        return (qx, qy, f_one_like(qx))
    x1, y1, z1 = p
    z1z1 = f_sqr(z1)
    u2 = f_mul(qx, z1z1)
    s2 = f_mul(f_mul(qy, z1), z1z1)
    h = f_sub(u2, x1)
    r = f_dbl(f_sub(s2, y1))
    if f_is_zero(h):
        if f_is_zero(r):
            return jac_double(p)
        return jac_infinity_like(qx)
    hh = f_sqr(h)
    i = f_dbl(f_dbl(hh))
    j = f_mul(h, i)
    v = f_mul(x1, i)
    x3 = f_sub(f_sub(f_sqr(r), j), f_dbl(v))
    y3 = f_sub(f_mul(r, f_sub(v, x3)), f_dbl(f_mul(y1, j)))
    z3 = f_sub(f_sub(f_sqr(f_add(z1, h)), z1z1), hh)
    return (x3, y3, z3)


@njit(cache=True, nogil=True)
def jac_to_affine(p):
    """(x, y), with (0, 0) for infinity."""
    if jac_is_infinity(p):
        zero = f_zero_like(p[0])
        return (zero, zero)
    zinv = f_inv(p[2])
    zinv2 = f_sqr(zinv)
    return (f_mul(p[0], zinv2), f_mul(p[1], f_mul(zinv2, zinv)))


@njit(cache=True, nogil=True)
def jac_eq(p, q):
    """Projective equality: X₁Z₂² = X₂Z₁² and Y₁Z₂³ = Y₂Z₁³."""
    if jac_is_infinity(p) or jac_is_infinity(q):
        return jac_is_infinity(p) and jac_is_infinity(q)
    z1z1 = f_sqr(p[2])
    z2z2 = f_sqr(q[2])
    if not f_eq(f_mul(p[0], z2z2), f_mul(q[0], z1z1)):
        return False
    return f_eq(f_mul(f_mul(p[1], q[2]), z2z2), f_mul(f_mul(q[1], p[2]), z1z1))



@njit(cache=True, nogil=True)
def jac_mul_affine(qx, qy, k):
    """k·q for an affine q and a scalar k of 4 little-endian uint64 limbs (any 256-bit value)."""
    acc = jac_infinity_like(qx)
    if f_is_zero(qx) and f_is_zero(qy):
        return acc
    top = 255
    while top >= 0 and ((k[top >> 6] >> np.uint64(top & 63)) & np.uint64(1)) == 0:
        top -= 1
    for i in range(top, -1, -1):
        acc = jac_double(acc)
        if (k[i >> 6] >> np.uint64(i & 63)) & np.uint64(1):
            acc = jac_add_affine(acc, qx, qy)
    return acc



# --- multi-scalar multiplication (Pippenger with signed digits) -----------------------------


@njit(cache=True, nogil=True)
def msm_window_bits(n):
    """A window width that balances n·(254/c) bucket additions against 2^c reduction additions."""
    if n < 32:
        return 3
    c = 3
    while (1 << (c + 1)) * 4 < n and c < 16:
        c += 1
    return c


@njit(cache=True, nogil=True)
def signed_digits(scalars, c, nwin):
    """Per scalar, nwin base-2^c digits in [−2^(c−1), 2^(c−1)], least significant first, (n, nwin)
    int32. The caller sizes nwin so that the top window absorbs the final carry."""
    n = scalars.shape[0]
    digits = np.zeros((n, nwin), dtype=np.int32)
    mask = (1 << c) - 1
    half = 1 << (c - 1)
    for i in range(n):
        carry = 0
        for w in range(nwin):
            off = w * c
            v = 0
            if off < 256:
                limb = off >> 6
                shift = off & 63
                raw = scalars[i, limb] >> np.uint64(shift)
                if shift + c > 64 and limb + 1 < 4:
                    raw |= scalars[i, limb + 1] << np.uint64(64 - shift)
                v = np.int64(raw & np.uint64(mask))
            v += carry
            if v > half:
                v -= 1 << c
                carry = 1
            else:
                carry = 0
            digits[i, w] = v
    return digits


@njit(cache=True, nogil=True)
def bucket_add(buckets, used, j, qx, qy):
    """Bucket j (Jacobian, in (m, 3, …) buckets) += the affine point (qx, qy)."""
    if used[j]:
        b = jac_add_affine((load_fe(buckets, (j, 0)), load_fe(buckets, (j, 1)), load_fe(buckets, (j, 2))), qx, qy)
    else:
        b = (qx, qy, f_one_like(qx))
        used[j] = True
    store_fe(buckets, (j, 0), b[0])
    store_fe(buckets, (j, 1), b[1])
    store_fe(buckets, (j, 2), b[2])


@njit(cache=True, nogil=True)
def bucket_sum(buckets, used, count):
    """(Σ_j (j+1)·bucket_j, Σ_j bucket_j) over the first `count` buckets, by running sums from the top."""
    running = jac_infinity_like(load_fe(buckets, (0, 0)))
    total = running
    for j in range(count - 1, -1, -1):
        if used[j]:
            running = jac_add(running, (load_fe(buckets, (j, 0)), load_fe(buckets, (j, 1)), load_fe(buckets, (j, 2))))
        total = jac_add(total, running)
    return total, running


@njit(cache=True, nogil=True)
def _bucket_window(points, digits, w, c, template):
    half = 1 << (c - 1)
    shape = (half, 3) + template.shape
    buckets = np.zeros(shape, dtype=np.uint64)
    used = np.zeros(half, dtype=np.bool_)
    for i in range(points.shape[0]):
        d = digits[i, w]
        if d == 0:
            continue
        qx = load_fe(points, (i, 0))
        qy = load_fe(points, (i, 1))
        if f_is_zero(qx) and f_is_zero(qy):
            continue
        if d < 0:
            qy = f_neg(qy)
            d = -d
        bucket_add(buckets, used, d - 1, qx, qy)
    return bucket_sum(buckets, used, half)[0]


@njit(parallel=True, cache=True, nogil=True)
def msm(points, scalars, c):
    """Σ scalars[i]·points[i] in Jacobian form.

    points: affine, (n, 2, 4) for G1 or (n, 2, 2, 4) for G2, Montgomery form, (0, 0) = infinity.
    scalars: (n, 4) uint64 little-endian limbs, standard (not Montgomery) form.
    Windows are independent, so they run in parallel; the caller picks c (see msm_window_bits).
    """
    digits = signed_digits(scalars, c, (256 + c - 1) // c + 1)  # one spare window: any scalar < 2²⁵⁶
    nwin = digits.shape[1]
    template = points[0, 0]
    sums = np.zeros((nwin, 3) + template.shape, dtype=np.uint64)
    for w in prange(nwin):
        s = _bucket_window(points, digits, w, c, template)
        store_fe(sums, (w, 0), s[0])
        store_fe(sums, (w, 1), s[1])
        store_fe(sums, (w, 2), s[2])
    return join_windows(sums, c)


@njit(cache=True, nogil=True)
def join_windows(sums, c):
    """Σ_w 2^(w·c)·sums[w] for per-window Jacobian sums (nwin, 3, …), by c doublings between windows
    from the top."""
    nwin = sums.shape[0]
    acc = (load_fe(sums, (nwin - 1, 0)), load_fe(sums, (nwin - 1, 1)), load_fe(sums, (nwin - 1, 2)))
    for w in range(nwin - 2, -1, -1):
        for _ in range(c):
            acc = jac_double(acc)
        acc = jac_add(acc, (load_fe(sums, (w, 0)), load_fe(sums, (w, 1)), load_fe(sums, (w, 2))))
    return acc



# --- fixed-base multiplication (G1), for bases known ahead such as a verifying key's IC -------

FIXED_BASE_BITS = 6
P_MINUS_2 = np.array([((_P_INT - 2) >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)], dtype=np.uint64)


@njit(cache=True, nogil=True)
def fixed_base_table(px, py):
    """Affine multiples d·2^(wj)·P for every window j and digit d in 1..2^w−1 (w = FIXED_BASE_BITS).

    (ceil(256/w), 2^w − 1, 2, 4); built in Jacobian form, then normalised with one shared inversion.
    """
    w = FIXED_BASE_BITS
    nwin = (256 + w - 1) // w
    per = (1 << w) - 1
    jac = np.empty((nwin * per, 3, 4), dtype=np.uint64)
    base = (px, py, f_one_like(px))
    for j in range(nwin):
        acc = base
        for d in range(per):
            k = j * per + d
            store_fe(jac, (k, 0), acc[0])
            store_fe(jac, (k, 1), acc[1])
            store_fe(jac, (k, 2), acc[2])
            acc = jac_add(acc, base)
        for _ in range(w):
            base = jac_double(base)
    zs = np.ascontiguousarray(jac[:, 2, :])
    zinv = batch_inv(zs, P_MINUS_2, 0)
    out = np.zeros((nwin, per, 2, 4), dtype=np.uint64)
    for k in range(nwin * per):
        z = load_fe(zinv, (k,))
        if f_is_zero(z):
            continue  # the multiple is infinity: leave (0, 0)
        z2 = f_sqr(z)
        x = f_mul(load_fe(jac, (k, 0)), z2)
        y = f_mul(load_fe(jac, (k, 1)), f_mul(z2, z))
        store_fe(out, (k // per, k % per, 0), x)
        store_fe(out, (k // per, k % per, 1), y)
    return out


@njit(cache=True, nogil=True)
def fixed_base_msm(tables, scalars):
    """Σ scalars[i]·base_i from fixed_base_table outputs stacked as (n, nwin, 2^w−1, 2, 4): additions only."""
    w = FIXED_BASE_BITS
    mask = np.uint64((1 << w) - 1)
    acc = jac_infinity_like(load_fe(tables, (0, 0, 0, 0)))
    for i in range(tables.shape[0]):
        for j in range(tables.shape[1]):
            off = j * w
            limb = off >> 6
            shift = off & 63
            raw = scalars[i, limb] >> np.uint64(shift)
            if shift + w > 64 and limb + 1 < 4:
                raw |= scalars[i, limb + 1] << np.uint64(64 - shift)
            d = np.int64(raw & mask)
            if d == 0:
                continue
            qx = load_fe(tables, (i, j, d - 1, 0))
            qy = load_fe(tables, (i, j, d - 1, 1))
            if f_is_zero(qx) and f_is_zero(qy):
                continue
            acc = jac_add_affine(acc, qx, qy)
    return acc


@njit(cache=True, nogil=True)
def fixed_base_msm_affine(tables, scalars):
    """fixed_base_msm normalised to an affine (2, 4) array, (0, 0) for infinity."""
    x, y = jac_to_affine(fixed_base_msm(tables, scalars))
    out = np.empty((2, 4), dtype=np.uint64)
    store_fe(out, (0,), x)
    store_fe(out, (1,), y)
    return out


@njit(cache=True, nogil=True)
def _normalize_g1(jac):
    """Jacobian G1 points (n, 3, 4) to affine (n, 2, 4) with one shared inversion; infinity → (0, 0)."""
    n = jac.shape[0]
    zinv = batch_inv(np.ascontiguousarray(jac[:, 2, :]), P_MINUS_2, 0)
    out = np.zeros((n, 2, 4), dtype=np.uint64)
    for i in range(n):
        z = load_fe(zinv, (i,))
        if f_is_zero(z):
            continue
        z2 = f_sqr(z)
        store_fe(out, (i, 0), f_mul(load_fe(jac, (i, 0)), z2))
        store_fe(out, (i, 1), f_mul(load_fe(jac, (i, 1)), f_mul(z2, z)))
    return out


@njit(parallel=True, cache=True, nogil=True)
def scale_affine(points, k):
    """[k]P for every affine point of an (n, 2, 4) array, normalised back to affine in one batch."""
    n = points.shape[0]
    jac = np.empty((n, 3, 4), dtype=np.uint64)
    for i in prange(n):
        p = jac_mul_affine(load_fe(points, (i, 0)), load_fe(points, (i, 1)), k)
        store_fe(jac, (i, 0), p[0])
        store_fe(jac, (i, 1), p[1])
        store_fe(jac, (i, 2), p[2])
    return _normalize_g1(jac)


@njit(parallel=True, cache=True, nogil=True)
def fixed_base_batch(table, scalars):
    """[s]B for every scalar s ((n, 4) limbs), B the base of `table` (from fixed_base_table): (n, 2, 4)."""
    n = scalars.shape[0]
    jac = np.empty((n, 3, 4), dtype=np.uint64)
    tables = table.reshape((1,) + table.shape)
    for i in prange(n):
        p = fixed_base_msm(tables, scalars[i : i + 1])
        store_fe(jac, (i, 0), p[0])
        store_fe(jac, (i, 1), p[1])
        store_fe(jac, (i, 2), p[2])
    return _normalize_g1(jac)
