"""The pairing: exact values against py_ecc, bilinearity, the tower, and the final exponentiation."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import g1_to_ecc, g2_to_ecc, gt_to_ecc
from py_ecc import optimized_bn128 as ob

from zkcore import field
from zkcore.curve import G1, G2
from zkcore.kernels import pairing as kp
from zkcore.kernels import tower as kt
from zkcore.pairing import Gt, miller_loop, pairing, pairing_check, prepare_g2
from zkcore.params import P, R

small = st.integers(min_value=1, max_value=R - 1)


@settings(max_examples=4)
@given(a=small, b=small)
def test_pairing_value_equals_py_ecc(a, b):
    p, q = G1.generator() * a, G2.generator() * b
    assert gt_to_ecc(pairing(p, q).coeffs) == ob.pairing(g2_to_ecc(q), g1_to_ecc(p))


@settings(max_examples=6)
@given(a=small, b=small)
def test_bilinearity(a, b):
    p, q = G1.generator(), G2.generator()
    base = pairing(p, q)
    assert pairing(p * a, q * b) == base ** (a * b % R)
    assert pairing(p * a, q) * pairing(p * b, q) == pairing(p * ((a + b) % R), q)
    assert pairing(p, q * a) * pairing(p, q * b) == pairing(p, q * ((a + b) % R))


def test_pairing_is_non_degenerate_and_of_order_r():
    e = pairing(G1.generator(), G2.generator())
    assert e != Gt.one()
    assert e**R == Gt.one()
    assert pairing(G1.infinity(), G2.generator()) == Gt.one()


def test_pairing_check_with_prepared_points_and_cached_miller_factor():
    g, h = G1.generator(), G2.generator()
    a, b = 1234, 5678
    prepared = prepare_g2(h * b)
    assert pairing_check([(g * a, prepared), (-(g * (a * b)), h)])
    assert not pairing_check([(g * a, prepared), (-(g * (a * b + 1)), h)])
    factor = miller_loop([(g * a, h * b)])
    assert pairing_check([(-(g * (a * b)), h)], miller_factor=factor)
    assert pairing_check([])


def random_fq12(rng):
    return tuple(
        tuple(tuple(field.fq_to_kernel(rng.randrange(P)) for _ in range(2)) for _ in range(3)) for _ in range(2)
    )


def as_ecc(f):
    coeffs = []
    for c6 in f:
        for c2 in c6:
            coeffs += [field.fq_from_kernel(c2[0]), field.fq_from_kernel(c2[1])]
    return gt_to_ecc(coeffs)


def box(t):
    return tuple(box(v) for v in t) if isinstance(t, tuple) else np.uint64(t)


@pytest.mark.parametrize("seed", range(3))
def test_tower_operations_are_homomorphic_to_py_ecc_fq12(seed):
    rng = random.Random(seed)
    a, b = random_fq12(rng), random_fq12(rng)
    ea, eb = as_ecc(a), as_ecc(b)
    assert as_ecc(box(kt.fq12_mul(a, b))) == ea * eb
    assert as_ecc(box(kt.fq12_sqr(a))) == ea * ea
    assert as_ecc(box(kt.fq12_inv(a))) == ea.inv()
    assert as_ecc(box(kt.fq12_conj(a))) == ea ** (P**6)
    for j in (1, 2, 3):
        assert as_ecc(box(kp.fq12_frobenius(a, j))) == ea ** (P**j)
    c0, c3, c4 = a[0][0], a[1][0], a[1][1]
    z = kt.FQ2_ZERO
    sparse = ((c0, z, z), (c3, c4, z))
    assert as_ecc(box(kt.fq12_mul_034(b, c0, c3, c4))) == eb * as_ecc(sparse)


def test_final_exponentiation_is_the_exact_power():
    rng = random.Random(1)
    f = random_fq12(rng)
    assert as_ecc(box(kp.final_exponentiation(f))) == as_ecc(f) ** ((P**12 - 1) // R)


def test_cyclotomic_squaring_matches_squaring_in_the_subgroup():
    rng = random.Random(2)
    f = random_fq12(rng)
    # f^((p⁶−1)(p²+1)) lies in the cyclotomic subgroup
    t = box(kt.fq12_mul(box(kt.fq12_conj(f)), box(kt.fq12_inv(f))))
    t = box(kt.fq12_mul(t, box(kp.fq12_frobenius(t, 2))))
    assert as_ecc(box(kt.fq12_cyclotomic_sqr(t))) == as_ecc(t) ** 2
