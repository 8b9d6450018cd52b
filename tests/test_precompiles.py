"""EIP-196/197 precompiles against go-ethereum's vectors, plus our own failing pairing cases."""

import pytest
from conftest import load_vectors

from zkcore.curve import G1, G2
from zkcore.errors import InvalidEncoding, NotOnCurve, ZkError
from zkcore.params import P, R
from zkcore.precompiles import bn256_add, bn256_pairing, bn256_scalar_mul


def run(fn, hex_input):
    try:
        return fn(bytes.fromhex(hex_input)).hex()
    except ZkError:
        return "error"


@pytest.mark.parametrize("case", load_vectors("bn256Add.json"), ids=lambda c: c["Name"])
def test_bn256_add_vectors(case):
    assert run(bn256_add, case["Input"]) == case["Expected"]


@pytest.mark.parametrize("case", load_vectors("bn256ScalarMul.json"), ids=lambda c: c["Name"])
def test_bn256_scalar_mul_vectors(case):
    assert run(bn256_scalar_mul, case["Input"]) == case["Expected"]


@pytest.mark.parametrize("case", load_vectors("bn256Pairing_even.json"), ids=lambda c: c["Name"])
def test_bn256_pairing_vectors(case):
    assert run(bn256_pairing, case["Input"]) == case["Expected"]


def block(p: G1, q: G2) -> bytes:
    return p.to_bytes() + q.to_bytes()


def test_pairing_false_cases():
    g, h = G1.generator(), G2.generator()
    assert bn256_pairing(block(g, h)) == (0).to_bytes(32, "big")
    # e(2g, h)·e(−g, 2h)... with a wrong factor: e(2g, h)·e(−g, h) ≠ 1
    assert bn256_pairing(block(g * 2, h) + block(-g, h)) == (0).to_bytes(32, "big")
    # and the true version
    assert bn256_pairing(block(g * 2, h) + block(-g, h * 2)) == (1).to_bytes(32, "big")
    # a pair with infinity contributes 1
    assert bn256_pairing(block(G1.infinity(), h)) == (1).to_bytes(32, "big")
    assert bn256_pairing(block(g, G2.infinity())) == (1).to_bytes(32, "big")


def test_pairing_rejects_malformed_input():
    g, h = G1.generator(), G2.generator()
    good = block(g, h)
    with pytest.raises(InvalidEncoding):
        bn256_pairing(good[:-1])
    bad = bytearray(good)
    bad[63] ^= 1  # G1 y off the curve
    with pytest.raises(NotOnCurve):
        bn256_pairing(bytes(bad))
    bad = bytearray(good)
    bad[64:96] = P.to_bytes(32, "big")  # x_imag = p
    with pytest.raises(InvalidEncoding):
        bn256_pairing(bytes(bad))


def test_short_input_is_zero_padded_and_long_input_truncated():
    g = G1.generator()
    assert bn256_add(b"") == bytes(64)
    assert bn256_scalar_mul(g.to_bytes()) == bytes(64)  # missing scalar reads as 0
    assert bn256_add(g.to_bytes() + bytes(64) + b"extra") == g.to_bytes()
    assert bn256_scalar_mul(g.to_bytes() + (R + 3).to_bytes(32, "big")) == (g * 3).to_bytes()
