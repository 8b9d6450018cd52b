"""Malformed input to any decoder raises a ZkError subclass: never another exception, never a point."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkcore.curve import G1, G2
from zkcore.errors import ZkError
from zkcore.groth16 import Proof, VerifyingKey, public_inputs_from_snarkjs
from zkcore.precompiles import bn256_add, bn256_pairing, bn256_scalar_mul

DECODERS = [G1.from_bytes, G2.from_bytes, G1.decompress, G2.decompress, bn256_pairing]


def only_zk_errors(fn, data):
    try:
        fn(data)
    except ZkError:
        pass


@settings(max_examples=300)
@given(st.sampled_from(DECODERS), st.binary(max_size=400))
def test_random_bytes_raise_only_zk_errors(decoder, data):
    only_zk_errors(decoder, data)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_precompiles_on_random_bytes(data):
    only_zk_errors(bn256_add, data)
    only_zk_errors(bn256_scalar_mul, data)


@settings(max_examples=200)
@given(st.sampled_from(["g1", "g2", "g1c", "g2c"]), st.integers(0, 127), st.integers(1, 255))
def test_single_byte_corruptions_of_valid_encodings(kind, position, flip):
    point = {"g1": G1.generator() * 7, "g2": G2.generator() * 7, "g1c": G1.generator() * 7, "g2c": G2.generator() * 7}[
        kind
    ]
    compressed = kind.endswith("c")
    data = bytearray(point.compress() if compressed else point.to_bytes())
    position %= len(data)
    data[position] ^= flip
    decoder = type(point).decompress if compressed else type(point).from_bytes
    try:
        decoded = decoder(bytes(data))
    except ZkError:
        return
    # A corruption that still decodes must be a genuine group point, re-encoding to the same bytes.
    assert (decoded.compress() if compressed else decoded.to_bytes()) == bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=90),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300)
@given(json_values)
def test_arbitrary_json_to_proof_key_and_signals(value):
    for parse in (
        Proof.from_snarkjs,
        VerifyingKey.from_snarkjs,
        public_inputs_from_snarkjs,
        G1.from_snarkjs,
        G2.from_snarkjs,
    ):
        only_zk_errors(parse, value)


@pytest.fixture(scope="module")
def proof_json(shared):
    return json.loads((shared / "vectors" / "groth16_risc0_multiplier" / "proof.json").read_text())


@settings(max_examples=200)
@given(data=st.data())
def test_mutated_proof_json(proof_json, data):
    mutated = json.loads(json.dumps(proof_json))
    key = data.draw(st.sampled_from(["pi_a", "pi_b", "pi_c"]))
    replacement = data.draw(json_values)
    if data.draw(st.booleans()):
        mutated[key] = replacement
    else:
        target = mutated[key]
        index = data.draw(st.integers(0, len(target) - 1))
        target[index] = replacement
    only_zk_errors(Proof.from_snarkjs, mutated)
