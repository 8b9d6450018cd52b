"""Fq and Fr kernels against Python integers, Fq2 kernels against the pure-Python Fq2 and py_ecc."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from py_ecc.fields import optimized_bn128_FQ2 as FQ2

from zkcore import field
from zkcore.errors import InvalidEncoding
from zkcore.kernels import batch as kb
from zkcore.kernels import fields as kf
from zkcore.kernels import tower as kt
from zkcore.params import P, R

fq = st.integers(min_value=0, max_value=P - 1)
fr = st.integers(min_value=0, max_value=R - 1)
edge_fq = st.sampled_from([0, 1, 2, P - 1, P - 2, (P - 1) // 2, 1 << 64, (1 << 192) - 1])
any_fq = st.one_of(fq, edge_fq)

MONT_R = {P: (1 << 256) % P, R: (1 << 256) % R}


def mont(x, m=P):
    return field.to_limbs(x * MONT_R[m] % m)


def unmont(t, m=P):
    return field.from_limbs(t) * pow(MONT_R[m], -1, m) % m


def box(t):
    return tuple(box(v) for v in t) if isinstance(t, tuple) else np.uint64(t)


@given(any_fq, any_fq)
def test_fq_arithmetic_matches_python_ints(a, b):
    ka, kb_ = mont(a), mont(b)
    assert unmont(kf.fq_mul(ka, kb_)) == a * b % P
    assert unmont(kf.fq_sqr(ka)) == a * a % P
    assert unmont(kf.fq_add(ka, kb_)) == (a + b) % P
    assert unmont(kf.fq_sub(ka, kb_)) == (a - b) % P
    assert unmont(kf.fq_neg(ka)) == -a % P
    assert unmont(kf.fq_dbl(ka)) == 2 * a % P


@given(any_fq)
def test_fq_inverse_pow_and_montgomery_round_trip(a):
    ka = mont(a)
    assert unmont(kf.fq_inv(ka)) == (pow(a, -1, P) if a else 0)
    assert unmont(kf.fq_pow(ka, field.to_limbs(12345))) == pow(a, 12345, P)
    assert field.from_limbs(kf.fq_from_mont(box(kf.fq_to_mont(field.to_limbs(a))))) == a


@given(fr, fr)
def test_fr_arithmetic_matches_python_ints(a, b):
    ka, kb_ = mont(a, R), mont(b, R)
    assert unmont(kf.fr_mul(ka, kb_), R) == a * b % R
    assert unmont(kf.fr_sqr(ka), R) == a * a % R
    assert unmont(kf.fr_add(ka, kb_), R) == (a + b) % R
    assert unmont(kf.fr_sub(ka, kb_), R) == (a - b) % R
    assert unmont(kf.fr_neg(ka), R) == -a % R
    assert unmont(kf.fr_inv(ka), R) == (pow(a, -1, R) if a else 0)
    assert unmont(kf.fr_pow(ka, field.to_limbs(65537)), R) == pow(a, 65537, R)


@given(any_fq)
def test_fq_sqrt(a):
    root = field.fq_sqrt(a)
    is_square = a == 0 or pow(a, (P - 1) // 2, P) == 1
    assert (root is not None) == is_square
    if root is not None:
        assert root * root % P == a


@given(any_fq, any_fq)
def test_fq2_sqrt(a0, a1):
    a = (a0, a1)
    root = field.fq2_sqrt(a)
    # a is a square in Fq2 iff its norm is a square in Fq.
    norm = (a0 * a0 + a1 * a1) % P
    assert (root is not None) == (norm == 0 or pow(norm, (P - 1) // 2, P) == 1)
    if root is not None:
        assert field.fq2_mul(root, root) == a


def fq2_kernel(a):
    return (mont(a[0]), mont(a[1]))


def fq2_int(t):
    return (unmont(t[0]), unmont(t[1]))


@given(any_fq, any_fq, any_fq, any_fq)
def test_fq2_kernels_match_reference_and_py_ecc(a0, a1, b0, b1):
    a, b = (a0, a1), (b0, b1)
    ka, kb_ = fq2_kernel(a), fq2_kernel(b)
    assert (
        fq2_int(kt.fq2_mul(ka, kb_))
        == field.fq2_mul(a, b)
        == tuple(int(c) for c in (FQ2(list(a)) * FQ2(list(b))).coeffs)
    )
    assert fq2_int(kt.fq2_sqr(ka)) == field.fq2_mul(a, a)
    assert fq2_int(kt.fq2_add(ka, kb_)) == field.fq2_add(a, b)
    assert fq2_int(kt.fq2_sub(ka, kb_)) == field.fq2_sub(a, b)
    assert fq2_int(kt.fq2_mul_xi(ka)) == field.fq2_mul(a, (9, 1))
    if a != (0, 0):
        assert fq2_int(kt.fq2_inv(ka)) == field.fq2_inv(a)


@given(st.lists(fr, min_size=1, max_size=40))
def test_batch_kernels_match_scalar_results(values):
    arr = field.ints_to_array(values)
    mont_arr = field.to_montgomery(arr, R)
    assert field.array_to_ints(field.from_montgomery(mont_arr, R)) == values
    squares = field.from_montgomery(kb.batch_mul(mont_arr, mont_arr, 1), R)
    assert field.array_to_ints(squares) == [v * v % R for v in values]
    assert field.batch_inverse(values, R) == [pow(v, -1, R) if v else 0 for v in values]


def test_batch_inverse_in_fq_with_zeros_in_the_middle():
    values = [5, 0, P - 1, 0, 7]
    assert field.batch_inverse(values, P) == [pow(5, -1, P), 0, P - 1, 0, pow(7, -1, P)]


def test_decimal_parsing_is_strict():
    assert field.parse_decimal("123", R, "x") == 123
    for bad in ["-1", "+1", " 1", "1 ", "0x10", "", "1e3", "١٢", str(R), "9" * 100, None, 1.5, True]:
        with pytest.raises(InvalidEncoding):
            field.parse_decimal(bad, R, "x")


def test_scalar_and_coordinate_range_checks():
    assert field.check_scalar(R - 1) == R - 1
    for bad in [R, -1, True, "5"]:
        with pytest.raises(InvalidEncoding):
            field.check_scalar(bad)
    with pytest.raises(InvalidEncoding):
        field.check_fq(P)
