"""MSM over precomputed window tables (zkcore.msm, kernels.msm_tables) against plain group arithmetic."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zkcore.msm
from zkcore import field
from zkcore.curve import G1, G2
from zkcore.kernels import ifma, msm_lanes
from zkcore.kernels import msm_tables as kt
from zkcore.kernels.curve import signed_digits
from zkcore.msm import FixedBases, table_window_bits
from zkcore.params import R

LANES = [False, pytest.param(True, marks=pytest.mark.skipif(not ifma.available(), reason="no AVX-512 IFMA"))]
scalars = st.one_of(st.integers(min_value=0, max_value=R - 1), st.sampled_from([0, 1, 2, R - 1, R - 2, (1 << 253) - 1]))


def _array(points):
    return np.array([p._kernel() for p in points], dtype=np.uint64)


def _expected(cls, points, ks):
    acc = cls.infinity()
    for p, k in zip(points, ks):
        acc = acc + p * k
    return acc


def _awkward_points(cls, rng, n):
    """Random points with a repeat, a negation (which cancels in a bucket) and infinity."""
    g = cls.generator()
    points = [g * rng.randrange(1, R) for _ in range(n)]
    if n > 3:
        points[1] = points[0]
        points[2] = -points[0]
        points[3] = cls.infinity()
    return points


@pytest.mark.parametrize("lanes", LANES)
@pytest.mark.parametrize("cls", [G1, G2])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_fixed_bases_equal_the_sum_of_multiplications(cls, lanes, data):
    n = data.draw(st.integers(min_value=1, max_value=24))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    points = _awkward_points(cls, rng, n)
    ks = [data.draw(scalars) for _ in range(n)]
    bases = FixedBases(_array(points), lanes=lanes)
    assert bases.nbytes > 0
    assert cls._from_jacobian(bases(field.ints_to_array(ks))) == _expected(cls, points, ks)


@pytest.mark.parametrize("cls", [G1, G2])
@pytest.mark.parametrize("c", [4, 7, 13])
@pytest.mark.parametrize("parts", [1, 2, 3, 5, 16])
def test_every_window_and_point_split_agrees(cls, c, parts):  # 16 parts: some get no point
    rng = random.Random(c * 10 + parts)
    points = _awkward_points(cls, rng, 12)
    # equal scalars on P and −P cancel inside a bucket; R − 1 exercises the top window's carry
    ks = [rng.randrange(R) for _ in range(12)]
    ks[2], ks[5] = ks[0], R - 1
    nwin = kt.windows_for(c)
    tables = kt.window_tables(_array(points), c, nwin)
    digits = signed_digits(field.ints_to_array(ks), c, nwin)
    assert cls._from_jacobian(kt.msm_tables(tables, digits, c, parts)) == _expected(cls, points, ks)


@pytest.mark.parametrize("lanes", LANES)
@pytest.mark.parametrize("cls", [G1, G2])
def test_more_threads_than_points_or_windows(cls, lanes):
    # three points among 8 threads (tables), 20 windows among 32 (without): idle threads add nothing
    rng = random.Random(3)
    points = [cls.generator() * rng.randrange(1, R) for _ in range(3)]
    ks = [rng.randrange(R) for _ in range(3)]
    c, nwin = 13, kt.windows_for(13)
    digits = signed_digits(field.ints_to_array(ks), c, nwin)
    tables, single = kt.window_tables(_array(points), c, nwin), kt.window_tables(_array(points), c, 1)
    if lanes:
        packed, one = msm_lanes.lane_points(tables), msm_lanes.lane_points(single)
        with_tables = kt.msm_tables_lanes(packed, packed.reshape(len(packed), -1).any(axis=1), digits, c, 8)
        windowed = kt.msm_windows_lanes(one, one.reshape(len(one), -1).any(axis=1), digits, c, 32)
    else:
        with_tables, windowed = kt.msm_tables(tables, digits, c, 8), kt.msm_windows(_array(points), digits, c, 32)
    assert cls._from_jacobian(with_tables) == cls._from_jacobian(windowed) == _expected(cls, points, ks)


@pytest.mark.parametrize("cls", [G1, G2])
def test_tables_hold_each_windows_shift(cls):
    rng = random.Random(3)
    points = [cls.generator() * rng.randrange(R) for _ in range(3)] + [cls.infinity()]
    c = 9
    nwin = kt.windows_for(c)
    tables = kt.window_tables(_array(points), c, nwin)
    assert tables.shape[:2] == (4, nwin)
    for i, p in enumerate(points):
        for k in (0, 1, nwin - 1):
            assert np.array_equal(tables[i, k], _array([p * pow(2, k * c, R)])[0])
    assert not tables[3].any()  # infinity stays (0, 0) in every window


@given(k=scalars, c=st.integers(min_value=4, max_value=16))
def test_signed_digits_rebuild_the_scalar_within_bounds(k, c):
    nwin = kt.windows_for(c)
    digits = signed_digits(field.ints_to_array([k]), c, nwin)[0]
    assert sum(int(d) << (c * i) for i, d in enumerate(digits)) == k
    assert all(abs(int(d)) <= 1 << (c - 1) for d in digits)


@pytest.mark.parametrize("lanes", LANES)
@pytest.mark.parametrize("cls", [G1, G2])
def test_over_budget_bases_take_pippengers_windows_one_by_one(cls, lanes, monkeypatch):
    rng = random.Random(5)
    points = [cls.generator() * rng.randrange(1, R) for _ in range(60)] + [cls.infinity()]
    ks = [rng.randrange(R) for _ in range(61)]
    monkeypatch.setattr(zkcore.msm, "WINDOWED_LANES_MIN", 1)  # lanes even for a few points
    plain = FixedBases(_array(points), budget=0, lanes=lanes)
    assert plain.windowed and plain.tables is None
    # without lanes: the points themselves, and G1 their images under the GLV endomorphism
    kept = plain.glv_points.nbytes if plain.glv else 0
    assert plain.nbytes == (plain.points52.nbytes + plain.finite.nbytes if lanes else kept)
    assert cls._from_jacobian(plain(field.ints_to_array(ks))) == _expected(cls, points, ks)
    awkward = _awkward_points(cls, rng, 30)  # exceptional additions on the lanes: the scalar kernel
    ks[2] = ks[0]
    assert cls._from_jacobian(
        FixedBases(_array(awkward), budget=0, lanes=lanes)(field.ints_to_array(ks[:30]))
    ) == _expected(cls, awkward, ks[:30])


def test_few_points_over_budget_stay_on_the_scalar_kernel():
    rng = random.Random(6)
    points = [G1.generator() * rng.randrange(1, R) for _ in range(10)]
    bases = FixedBases(_array(points), budget=0)
    assert bases.windowed and not bases.lanes and bases.nbytes == 0


@pytest.mark.parametrize("lanes", [False, True])
def test_the_window_grows_with_the_number_of_points(lanes):
    widths = [table_window_bits(n, 2, lanes) for n in (10, 1_000, 5_680, 100_000)]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert table_window_bits(5_680, 2, lanes) == (10 if lanes else 12)


@pytest.mark.skipif(not ifma.available(), reason="no AVX-512 IFMA")
@pytest.mark.parametrize("cls", [G1, G2])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_lanes_redo_the_buckets_that_meet_exceptional_additions(cls, parts):
    rng = random.Random(parts)
    c = 6
    nwin = kt.windows_for(c)
    distinct = [cls.generator() * rng.randrange(1, R) for _ in range(39)] + [cls.infinity()]
    awkward = _awkward_points(cls, rng, 40)  # P at rows 0 and 1, −P at row 2
    ks = [rng.randrange(R) for _ in range(40)]
    for cancel in (False, True):
        if cancel:  # P − P in one bucket in every window with a digit; P + P where digits agree
            ks[2] = ks[0]
            ks[1] = ks[0] ^ 1
        for points in (distinct, awkward):
            pts52 = msm_lanes.lane_points(kt.window_tables(_array(points), c, nwin))
            finite = pts52.reshape(pts52.shape[0], -1).any(axis=1)
            acc = kt.msm_tables_lanes(pts52, finite, signed_digits(field.ints_to_array(ks), c, nwin), c, parts)
            assert cls._from_jacobian(acc) == _expected(cls, points, ks)


@pytest.mark.skipif(not ifma.available(), reason="no AVX-512 IFMA")
@pytest.mark.parametrize("cls", [G1, G2])
def test_lanes_survive_buckets_that_only_double_or_cancel(cls):
    """[P, −P] and [P, P] with one scalar put exactly those two points in every used bucket."""
    p = cls.generator() * 987654321
    k = (1 << 200) + 12345
    for points, expected in (([p, -p], cls.infinity()), ([p, p], p * (2 * k))):
        bases = FixedBases(_array(points), lanes=True)
        assert cls._from_jacobian(bases(field.ints_to_array([k, k]))) == expected
