"""The scalar MSM path: affine bucket accumulation (kernels.msm_affine) and the GLV split
(kernels.glv), each against a pure-Python twin and against plain group arithmetic."""

import random

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2

import zkcore.msm
from zkcore import field
from zkcore.curve import G1, G2
from zkcore.kernels import curve as kc
from zkcore.kernels import glv
from zkcore.kernels import msm_affine as ka
from zkcore.kernels.curve import signed_digits
from zkcore.msm import FixedBases
from zkcore.params import R

# --- the twin: the same pairwise rounds, with Montgomery's trick, on py_ecc field elements ---------


def _to_py(cls, p):
    if p.is_infinity:
        return None
    if cls is G1:
        return (FQ(p.x), FQ(p.y))
    return (FQ2(list(p.x)), FQ2(list(p.y)))


def _from_py(cls, q):
    if q is None:
        return cls.infinity()
    if cls is G1:
        return cls._unchecked(int(q[0]), int(q[1]))
    return cls._unchecked(tuple(int(c) for c in q[0].coeffs), tuple(int(c) for c in q[1].coeffs))


def _batch_inverse(values):
    prefix, acc = [], values[0].one() if values else None
    for v in values:
        prefix.append(acc)
        acc = acc * v
    inv = acc.one() / acc if values else None
    out = [None] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = inv * prefix[i]
        inv = inv * values[i]
    return out


def accumulate_affine_twin(cls, rows, digits, lo, hi):
    """Bucket lo..hi−1 sums (cls points) of msm_affine.accumulate_affine, by its rounds."""
    n, nwin = digits.shape
    lists = [[] for _ in range(hi - lo)]
    for i in range(n):
        for k in range(nwin):
            d = int(digits[i, k])
            if lo <= abs(d) - 1 < hi and not rows[i * nwin + k].is_infinity:
                p = rows[i * nwin + k]
                lists[abs(d) - 1 - lo].append(_to_py(cls, -p if d < 0 else p))
    while any(len(b) > 1 for b in lists):
        pairs = [(b[2 * t], b[2 * t + 1]) for b in lists for t in range(len(b) // 2)]
        dens = []
        for a, b in pairs:
            if a is None or b is None or (a[0] == b[0] and a[1] != b[1]):
                dens.append(FQ.one() if cls is G1 else FQ2.one())
            elif a[0] == b[0]:
                dens.append(a[1] + a[1])
            else:
                dens.append(b[0] - a[0])
        invs = iter(_batch_inverse(dens))
        new_lists = []
        for b in lists:
            out = []
            for t in range(len(b) // 2):
                p, q, inv = b[2 * t], b[2 * t + 1], next(invs)
                if p is None or q is None:
                    out.append(q if p is None else p)
                elif p[0] == q[0] and p[1] != q[1]:
                    out.append(None)
                else:
                    lam = (q[1] - p[1]) * inv if p[0] != q[0] else p[0] * p[0] * 3 * inv
                    x3 = lam * lam - p[0] - q[0]
                    out.append((x3, lam * (p[0] - x3) - p[1]))
            if len(b) & 1:
                out.append(b[-1])
            new_lists.append(out)
        lists = new_lists
    return [_from_py(cls, b[0] if b else None) for b in lists]


# --- parity ---------------------------------------------------------------------------------------


def _array(points):
    return np.array([p._kernel() for p in points], dtype=np.uint64)


def _bucket_points(cls, buckets, used):
    out = []
    for j in range(buckets.shape[0]):
        if not used[j]:
            out.append(cls.infinity())
        elif cls is G1:
            x, y = (field.fq_from_kernel(tuple(buckets[j, k])) for k in (0, 1))
            out.append(cls._unchecked(x, y))
        else:
            x = field.fq2_from_kernel((tuple(buckets[j, 0, 0]), tuple(buckets[j, 0, 1])))
            y = field.fq2_from_kernel((tuple(buckets[j, 1, 0]), tuple(buckets[j, 1, 1])))
            out.append(cls._unchecked(x, y))
    return out


def _pool(cls, seed):
    """A few points, their negations and infinity: drawing from it repeats points (P + P), cancels
    them (P − P) and adds infinity."""
    rng = random.Random(seed)
    base = [cls.generator() * rng.randrange(1, R) for _ in range(3)]
    return base + [-p for p in base] + [cls.infinity()]


@pytest.mark.parametrize("cls", [G1, G2])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_affine_buckets_match_the_twin_and_the_group(cls, data):
    pool = _pool(cls, data.draw(st.integers(0, 3)))
    n = data.draw(st.integers(1, 12))
    nwin = data.draw(st.integers(1, 3))
    rows = [pool[data.draw(st.integers(0, len(pool) - 1))] for _ in range(n * nwin)]
    digits = np.array([[data.draw(st.integers(-3, 3)) for _ in range(nwin)] for _ in range(n)], dtype=np.int32)
    lo = data.draw(st.integers(0, 2))
    hi = data.draw(st.integers(lo + 1, 3))
    buckets = np.zeros((hi - lo,) + _array(rows).shape[1:], dtype=np.uint64)
    used = ka.accumulate_affine(_array(rows), digits, lo, hi, buckets)
    got = _bucket_points(cls, buckets, used)
    assert got == accumulate_affine_twin(cls, rows, digits, lo, hi)
    for j in range(lo, hi):  # and the plain sum of what each bucket receives
        expected = cls.infinity()
        for i in range(n):
            for k in range(nwin):
                if abs(int(digits[i, k])) - 1 == j:
                    expected = expected + (rows[i * nwin + k] if digits[i, k] > 0 else -rows[i * nwin + k])
        assert got[j - lo] == expected
        assert used[j - lo] == (not expected.is_infinity)
    total = cls._from_jacobian(ka.affine_range_sum(buckets, used, lo))
    expected_total = cls.infinity()
    for j, b in enumerate(got):
        expected_total = expected_total + b * (lo + j + 1)
    assert total == expected_total


@pytest.mark.parametrize("cls", [G1, G2])
def test_a_long_bucket_of_one_repeated_point_takes_doublings_and_cancellations(cls):
    p = cls.generator() * 12345
    rows = [p] * 37 + [-p] * 5 + [cls.infinity()] * 3
    digits = np.ones((len(rows), 1), dtype=np.int32)
    buckets = np.zeros((1,) + _array(rows).shape[1:], dtype=np.uint64)
    used = ka.accumulate_affine(_array(rows), digits, 0, 1, buckets)
    assert _bucket_points(cls, buckets, used) == [p * 32]
    digits[:37] = 0  # only −p five times and infinity
    used = ka.accumulate_affine(_array(rows), digits, 0, 1, buckets)
    assert _bucket_points(cls, buckets, used) == [-p * 5]
    rows = [p, -p, p, -p]  # everything cancels: the bucket is not used
    used = ka.accumulate_affine(_array(rows), np.ones((4, 1), dtype=np.int32), 0, 1, buckets)
    assert not used[0]


# --- GLV ------------------------------------------------------------------------------------------

_EDGES = [0, 1, 2, R - 1, R - 2, glv.LAMBDA, glv.LAMBDA - 1, glv.LAMBDA + 1, R - glv.LAMBDA, (1 << 128) - 1, 1 << 128,
          (1 << 253) - 1, abs(glv.A1), abs(glv.A2), abs(glv.B1), abs(glv.B2), R // 2, (R + 1) // 2]


def _rebuilds(k, k1, k2):
    return (k1 + k2 * glv.LAMBDA - k) % R == 0 and abs(k1) < 1 << glv.GLV_BITS and abs(k2) < 1 << glv.GLV_BITS


def test_beta_and_lambda_are_the_same_endomorphism():
    g = G1.generator()
    assert g * glv.LAMBDA == G1._unchecked(glv.BETA, 2)
    p = g * 987654321
    images = glv.with_endomorphism(_array([p, G1.infinity()]))
    x, y = (field.fq_from_kernel(tuple(images[2, k])) for k in (0, 1))
    assert G1._unchecked(x, y) == p * glv.LAMBDA
    assert not images[3].any()  # infinity stays (0, 0)
    assert (glv.A1 + glv.B1 * glv.LAMBDA) % R == 0 and (glv.A2 + glv.B2 * glv.LAMBDA) % R == 0


@settings(max_examples=300, deadline=None)
@given(k=st.integers(0, R - 1))
@example(k=0)
@example(k=R - 1)
def test_the_split_rebuilds_every_scalar_with_halves_below_2_128(k):
    assert _rebuilds(k, *glv.split_py(k))


def test_the_kernel_split_is_the_twins_including_edge_cases():
    rng = random.Random(19)
    ks = _EDGES + [rng.randrange(R) for _ in range(500)]
    halves, negative = glv.glv_split(field.ints_to_array(ks))
    magnitudes = field.array_to_ints(halves)
    n = len(ks)
    signs = [-1 if s else 1 for s in negative]
    for i, k in enumerate(ks):
        k1, k2 = magnitudes[i] * signs[i], magnitudes[n + i] * signs[n + i]
        assert (k1, k2) == glv.split_py(k)
        assert _rebuilds(k, k1, k2)
    assert any(negative[:n]) and any(negative[n:]) and not all(negative)  # both signs occur


# --- the windowed MSMs that use them ---------------------------------------------------------------


@pytest.mark.parametrize("cls", [G1, G2])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_windowed_msm_with_affine_buckets_equals_the_sum(cls, data):
    pool = _pool(cls, data.draw(st.integers(0, 3)))
    n = data.draw(st.integers(1, 16))
    points = [pool[data.draw(st.integers(0, len(pool) - 1))] for _ in range(n)]
    ks = [data.draw(st.one_of(st.integers(0, R - 1), st.sampled_from(_EDGES))) for _ in range(n)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zkcore.msm, "WINDOWED_LANES_MIN", 1)  # small MSMs take that path too
        bases = FixedBases(_array(points), budget=0, lanes=False)
    assert bases.affine_windows and bases.glv == (cls is G1)
    expected = cls.infinity()
    for p, k in zip(points, ks):
        expected = expected + p * k
    assert cls._from_jacobian(bases(field.ints_to_array(ks))) == expected


@pytest.mark.parametrize("cls", [G1, G2])
def test_both_scalar_paths_agree_at_a_realistic_size(cls):
    """1,100 points (above WINDOWED_LANES_MIN) with repeats, a cancelling pair and infinity, against
    the windows-in-parallel Jacobian kernel."""
    rng = random.Random(5)
    pool = [cls.generator() * rng.randrange(1, R) for _ in range(40)]
    points = [pool[i % 40] for i in range(1100)]
    points[5], points[7] = -points[4], cls.infinity()
    ks = [rng.randrange(R) for _ in range(1100)]
    ks[3], ks[4] = 0, ks[5]
    arr, scalars = _array(points), field.ints_to_array(ks)
    expected = cls._from_jacobian(kc.msm(arr, scalars, 8))
    windows = FixedBases(arr, budget=0, lanes=False)
    assert windows.affine_windows and windows.glv == (cls is G1)
    assert cls._from_jacobian(windows(scalars)) == expected
    tables = FixedBases(arr, lanes=False)
    assert tables.tables is not None
    assert cls._from_jacobian(tables(scalars)) == expected
    digits = signed_digits(scalars, tables.c, tables.nwin)
    assert digits.shape == (1100, tables.nwin)
