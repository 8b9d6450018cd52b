"""G1 and G2: parity with py_ecc, group laws, MSM, encodings and validation."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import g1_from_ecc, g1_to_ecc, g2_from_ecc, g2_to_ecc
from py_ecc import optimized_bn128 as ob

from zkcore import field
from zkcore.curve import G1, G2, msm
from zkcore.errors import InvalidEncoding, NotInSubgroup, NotOnCurve, ZkError
from zkcore.kernels import curve as kc
from zkcore.kernels import pairing as kp
from zkcore.params import B2, P, R

scalars = st.one_of(st.integers(min_value=0, max_value=R - 1), st.sampled_from([0, 1, 2, R - 1, R - 2, (1 << 128) + 1]))
GROUPS = [(G1, ob.G1, g1_to_ecc, g1_from_ecc), (G2, ob.G2, g2_to_ecc, g2_from_ecc)]


@pytest.mark.parametrize("group", GROUPS, ids=["G1", "G2"])
@given(a=scalars, b=scalars)
def test_add_double_mul_match_py_ecc(group, a, b):
    cls, gen, to_ecc, from_ecc = group
    g = cls.generator()
    pa, pb = g * a, g * b
    assert pa == from_ecc(ob.multiply(gen, a))
    assert pa + pb == from_ecc(ob.add(to_ecc(pa), to_ecc(pb)))
    assert pa.double() == from_ecc(ob.double(to_ecc(pa)))
    assert -pa == from_ecc(ob.neg(to_ecc(pa)))


@pytest.mark.parametrize("cls", [G1, G2])
@given(a=scalars, b=scalars, c=scalars)
def test_group_laws(cls, a, b, c):
    g = cls.generator()
    pa, pb, pc = g * a, g * b, g * c
    assert (pa + pb) + pc == pa + (pb + pc)
    assert pa + pb == pb + pa
    assert pa + cls.infinity() == pa
    assert pa - pa == cls.infinity()
    assert g * ((a + b) % R) == pa + pb
    assert pa * b == g * (a * b % R)
    assert pa * R == cls.infinity()


@pytest.mark.parametrize("cls", [G1, G2])
def test_adding_a_point_to_itself_takes_the_doubling_branch(cls):
    p = cls.generator() * 12345
    assert p + p == p * 2 == p.double()
    assert p + (-p) == cls.infinity()


@pytest.mark.parametrize("cls", [G1, G2])
@given(data=st.data())
def test_msm_equals_sum_of_multiplications(cls, data):
    n = data.draw(st.integers(min_value=1, max_value=40))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    g = cls.generator()
    points = [g * rng.randrange(R) for _ in range(n)]
    ks = [data.draw(scalars) for _ in range(n)]
    # repeated points, the point at infinity and zero scalars all appear
    if n > 2:
        points[1] = points[0]
        points[2] = cls.infinity()
        ks[0] = 0
    expected = cls.infinity()
    for p, k in zip(points, ks):
        expected = expected + p * k
    assert msm(points, ks) == expected


def test_msm_window_widths_agree_on_a_larger_input():
    rng = random.Random(7)
    g = G1.generator()
    base = [g * rng.randrange(R) for _ in range(16)]
    points = [base[i % 16] for i in range(600)]
    ks = [rng.randrange(R) for _ in range(600)]
    arr = np.array([p._kernel() for p in points], dtype=np.uint64)
    sk = field.ints_to_array(ks)
    results = {G1._from_jacobian(kc.msm(arr, sk, c)) for c in (3, 5, 8, 11)}
    assert len(results) == 1
    expected = G1.infinity()
    for i in range(16):
        expected = expected + base[i] * sum(ks[i::16])
    assert results == {expected}


def test_msm_rejects_mismatched_input():
    with pytest.raises(ValueError):
        msm([G1.generator()], [1, 2])
    with pytest.raises(TypeError):
        msm([G1.generator(), G2.generator()], [1, 2])


@pytest.mark.parametrize("cls", [G1, G2])
@given(k=scalars)
def test_encodings_round_trip(cls, k):
    p = cls.generator() * k
    assert cls.from_bytes(p.to_bytes()) == p
    assert cls.from_snarkjs(p.to_snarkjs()) == p
    assert cls.decompress(p.compress()) == p
    assert len(p.compress()) == len(p.to_bytes()) // 2


def test_snarkjs_jacobian_coordinates_are_normalised():
    p = G1.generator() * 99
    z = 123456789
    jac = [str(p.x * z * z % P), str(p.y * z * z * z % P), str(z)]
    assert G1.from_snarkjs(jac) == p
    assert G1.from_snarkjs(["0", "1", "0"]) == G1.infinity()
    assert G2.from_snarkjs([["0", "0"], ["1", "0"], ["0", "0"]]) == G2.infinity()


def test_eip197_g2_byte_order_is_imaginary_first():
    g = G2.generator()
    data = g.to_bytes()
    assert int.from_bytes(data[:32], "big") == g.x[1]
    assert int.from_bytes(data[32:64], "big") == g.x[0]


@pytest.mark.parametrize("cls", [G1, G2])
def test_non_canonical_and_off_curve_encodings_are_rejected(cls):
    good = (cls.generator() * 5).to_bytes()
    n = len(good) // 2
    # a coordinate word ≥ p
    bad = bytearray(good)
    bad[0:32] = P.to_bytes(32, "big")
    with pytest.raises(InvalidEncoding):
        cls.from_bytes(bytes(bad))
    # the same x with y + p (same value mod p): not canonical
    bad = bytearray(good)
    y_last = int.from_bytes(good[-32:], "big")
    if y_last + P < 1 << 256:
        bad[-32:] = (y_last + P).to_bytes(32, "big")
        with pytest.raises(InvalidEncoding):
            cls.from_bytes(bytes(bad))
    # off the curve
    bad = bytearray(good)
    bad[-1] ^= 1
    with pytest.raises(NotOnCurve):
        cls.from_bytes(bytes(bad))
    # wrong length
    with pytest.raises(InvalidEncoding):
        cls.from_bytes(good[:-1])
    # compressed: infinity flag with a non-zero body, and an x not on the curve
    with pytest.raises(InvalidEncoding):
        cls.decompress(bytes([0x80]) + bytes(n - 2) + b"\x01")
    with pytest.raises(ZkError):
        cls.decompress(bytes([0x3F]) + b"\xff" * (n - 1))


def test_snarkjs_json_rejects_garbage():
    for bad in [None, [], ["1", "2"], ["1", "2", "1", "4"], ["x", "2", "1"], [1.0, 2, 1], ["-1", "2", "1"]]:
        with pytest.raises(InvalidEncoding):
            G1.from_snarkjs(bad)
    with pytest.raises(InvalidEncoding):
        G2.from_snarkjs([["1"], ["1", "2"], ["1", "0"]])


def twist_point_outside_subgroup(seed: int):
    """A point on E'(Fq2) found by trying x values; the cofactor makes it almost surely outside G2."""
    rng = random.Random(seed)
    while True:
        x = (rng.randrange(P), rng.randrange(P))
        y = field.fq2_sqrt(field.fq2_add(field.fq2_mul(field.fq2_mul(x, x), x), B2))
        if y is not None:
            return x, y


@pytest.mark.parametrize("seed", range(4))
def test_twist_points_outside_the_subgroup_are_rejected(seed):
    x, y = twist_point_outside_subgroup(seed)
    # the oracle: r·Q ≠ O
    kx, ky = field.fq2_to_kernel(x), field.fq2_to_kernel(y)
    assert not ob.is_inf(ob.multiply((ob.FQ2(list(x)), ob.FQ2(list(y)), ob.FQ2.one()), R))
    assert not kp.g2_in_subgroup(kx, ky)
    with pytest.raises(NotInSubgroup):
        G2.from_affine(x, y)
    encoded = x[1].to_bytes(32, "big") + x[0].to_bytes(32, "big") + y[1].to_bytes(32, "big") + y[0].to_bytes(32, "big")
    with pytest.raises(NotInSubgroup):
        G2.from_bytes(encoded)


@given(k=scalars)
def test_fast_subgroup_check_accepts_every_subgroup_point(k):
    q = G2.generator() * k
    if not q.is_infinity:
        assert kp.g2_in_subgroup(*q._kernel())


def test_direct_construction_validates():
    with pytest.raises(NotOnCurve):
        G1(1, 3)
    with pytest.raises(InvalidEncoding):
        G1(P, 2)
    assert G1(1, 2) == G1.generator()


@settings(max_examples=10)
@given(st.lists(scalars, min_size=1, max_size=6), st.integers(0, 2**32))
def test_fixed_base_msm_matches_scalar_multiplications(ks, seed):
    rng = random.Random(seed)
    bases = [G1.generator() * rng.randrange(R) for _ in ks]
    tables = np.stack([kc.fixed_base_table(*b._kernel()) for b in bases])
    expected = G1.infinity()
    for b, k in zip(bases, ks):
        expected = expected + b * k
    assert G1._from_jacobian(kc.fixed_base_msm(tables, field.ints_to_array(ks))) == expected
    affine = kc.fixed_base_msm_affine(tables, field.ints_to_array(ks))
    assert (field.fq_from_kernel(affine[0]), field.fq_from_kernel(affine[1])) == (expected.x, expected.y)


@settings(max_examples=10)
@given(scalars, st.integers(0, 2**32))
def test_scale_affine_matches_scalar_multiplication(k, seed):
    rng = random.Random(seed)
    points = [G1.generator() * rng.randrange(R) for _ in range(5)] + [G1.infinity()]
    arr = np.array([p._kernel() for p in points], dtype=np.uint64)
    out = kc.scale_affine(arr, field.to_limbs(k))
    got = [G1.from_affine(field.fq_from_kernel(row[0]), field.fq_from_kernel(row[1])) for row in out]
    assert got == [p * k for p in points]
