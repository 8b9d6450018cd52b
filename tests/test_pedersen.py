"""Pedersen commitments on G1 against the pure-Python oracle (py_ecc), and how H is derived."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracle import g1_from_ecc
from py_ecc import optimized_bn128 as ob

from zkcore import pedersen
from zkcore.curve import G1
from zkcore.errors import InvalidEncoding
from zkcore.params import B1, P, R


def oracle_commit(amount: int, blinding: int) -> G1:
    h = pedersen.generator_h()
    h_ecc = (ob.FQ(h.x), ob.FQ(h.y), ob.FQ.one())
    return g1_from_ecc(ob.add(ob.multiply(ob.G1, amount), ob.multiply(h_ecc, blinding)))


def test_h_is_the_first_hashed_x_on_the_curve():
    h = pedersen.generator_h()
    assert h.y * h.y % P == (h.x ** 3 + B1) % P and h.y <= P - h.y
    counter = next(c for c in range(64) if pedersen.hash_to_x(c) == h.x)
    for earlier in range(counter):  # every earlier counter's x³ + 3 is a non-residue (Euler's criterion)
        x = pedersen.hash_to_x(earlier)
        assert pow((x ** 3 + B1) % P, (P - 1) // 2, P) == P - 1
    prefix = b"zkelig/pedersen/v1/H" + counter.to_bytes(4, "big")
    wide = hashlib.sha256(prefix + b"\x00").digest() + hashlib.sha256(prefix + b"\x01").digest()
    assert h.x == int.from_bytes(wide, "big") % P
    assert h not in (G1.generator(), -G1.generator(), G1.infinity())
    assert g1_from_ecc(ob.multiply((ob.FQ(h.x), ob.FQ(h.y), ob.FQ.one()), R)) == G1.infinity()  # order r


@given(st.integers(0, pedersen.MAX_AMOUNT - 1), st.integers(0, R - 1))
def test_commit_matches_the_oracle(amount, blinding):
    assert pedersen.commit(amount, blinding) == oracle_commit(amount, blinding)


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, R - 1)), min_size=1, max_size=8))
def test_commitments_add_like_their_openings(openings):
    total = pedersen.total(pedersen.commit(a, r) for a, r in openings)
    a_sum, r_sum = sum(a for a, _ in openings), sum(r for _, r in openings) % R
    assert total == oracle_commit(a_sum, r_sum)
    assert pedersen.opens_to(total, a_sum, r_sum)
    assert not pedersen.opens_to(total, a_sum + 1, r_sum)
    assert not pedersen.opens_to(total, a_sum, (r_sum + 1) % R)


@pytest.mark.parametrize("amount, blinding", [(-1, 0), (pedersen.MAX_AMOUNT, 0), (True, 0), (1.0, 0), (0, R), (0, -1)])
def test_out_of_range_openings_are_refused(amount, blinding):
    with pytest.raises(InvalidEncoding):
        pedersen.commit(amount, blinding)


def test_boundaries_commit():
    assert pedersen.commit(0, 0) == G1.infinity()
    assert pedersen.commit(pedersen.MAX_AMOUNT - 1, R - 1) == oracle_commit(pedersen.MAX_AMOUNT - 1, R - 1)
