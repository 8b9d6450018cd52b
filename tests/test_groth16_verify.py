"""Groth16 verification against third-party snarkjs proofs: accept, reject, refuse malformed."""

import json
import random

import pytest

from zkcore.curve import G1, G2
from zkcore.errors import InvalidEncoding, NotInSubgroup, ZkError
from zkcore.groth16 import (
    Proof,
    VerifyingKey,
    batch_verify,
    prepare_verifying_key,
    public_inputs_from_snarkjs,
    public_inputs_to_snarkjs,
    verify,
)
from zkcore.params import R

FIXTURES = {"risc0": "vectors/groth16_risc0_multiplier", "eligibility": "bench/eligibility-5654"}


def load(shared, name):
    folder = shared / FIXTURES[name]
    read = lambda f: json.loads((folder / f).read_text())  # noqa: E731
    return (
        VerifyingKey.from_snarkjs(read("verification_key.json")),
        Proof.from_snarkjs(read("proof.json")),
        public_inputs_from_snarkjs(read("public.json")),
    )


@pytest.fixture(scope="module", params=sorted(FIXTURES))
def fixture(request, shared):
    return load(shared, request.param)


def test_third_party_proof_verifies(fixture):
    vk, proof, public = fixture
    assert verify(vk, proof, public)
    assert verify(prepare_verifying_key(vk), proof, public)


def test_each_public_signal_changed_is_refused(fixture):
    vk, proof, public = fixture
    for i in range(len(public)):
        for delta in (1, R - 1):
            changed = list(public)
            changed[i] = (changed[i] + delta) % R
            assert not verify(vk, proof, changed)


def test_swapped_or_negated_proof_elements_are_refused(fixture):
    vk, proof, public = fixture
    variants = [
        Proof(proof.c, proof.b, proof.a),
        Proof(-proof.a, proof.b, proof.c),
        Proof(proof.a, -proof.b, proof.c),
        Proof(proof.a, proof.b, -proof.c),
        Proof(proof.a * 2, proof.b, proof.c),
        Proof(G1.generator(), proof.b, proof.c),
        Proof(proof.a, G2.generator(), proof.c),
        Proof(G1.infinity(), proof.b, proof.c),
        Proof(proof.a, G2.infinity(), proof.c),
        Proof(proof.a, proof.b, G1.infinity()),
    ]
    for bad in variants:
        assert not verify(vk, bad, public)


def test_risc0_public_signal_is_33(shared):
    _, _, public = load(shared, "risc0")
    assert public == [33]


def test_malformed_public_inputs_raise(fixture):
    vk, proof, public = fixture
    with pytest.raises(InvalidEncoding):
        verify(vk, proof, public[:-1])
    with pytest.raises(InvalidEncoding):
        verify(vk, proof, public + [0])
    with pytest.raises(InvalidEncoding):
        verify(vk, proof, [R] + public[1:])
    with pytest.raises(InvalidEncoding):
        verify(vk, proof, [-1] + public[1:])
    with pytest.raises(InvalidEncoding):
        verify(vk, proof, [str(public[0])] + public[1:])
    with pytest.raises(InvalidEncoding):
        public_inputs_from_snarkjs([str(R)])
    with pytest.raises(InvalidEncoding):
        public_inputs_from_snarkjs("33")


def test_snarkjs_json_round_trip(fixture):
    vk, proof, public = fixture
    assert VerifyingKey.from_snarkjs(vk.to_snarkjs()) == vk
    assert Proof.from_snarkjs(proof.to_snarkjs()) == proof
    assert public_inputs_from_snarkjs(public_inputs_to_snarkjs(public)) == public


def test_malformed_proof_json_raises(shared):
    raw = json.loads((shared / FIXTURES["risc0"] / "proof.json").read_text())
    cases = []
    for key in ("pi_a", "pi_b", "pi_c"):
        missing = dict(raw)
        del missing[key]
        cases.append(missing)
    off_curve = json.loads(json.dumps(raw))
    off_curve["pi_a"][1] = str(int(off_curve["pi_a"][1]) ^ 1)
    cases.append(off_curve)
    wrong_protocol = dict(raw, protocol="plonk")
    cases.append(wrong_protocol)
    wrong_curve = dict(raw, curve="bls12381")
    cases.append(wrong_curve)
    cases += [None, [], "proof"]
    for case in cases:
        with pytest.raises(ZkError):
            Proof.from_snarkjs(case)


def test_b_outside_the_g2_subgroup_is_rejected_on_parse(shared):
    from test_curve import twist_point_outside_subgroup

    raw = json.loads((shared / FIXTURES["risc0"] / "proof.json").read_text())
    x, y = twist_point_outside_subgroup(11)
    raw["pi_b"] = [[str(x[0]), str(x[1])], [str(y[0]), str(y[1])], ["1", "0"]]
    with pytest.raises(NotInSubgroup):
        Proof.from_snarkjs(raw)


def test_verification_key_n_public_must_match_ic(shared):
    raw = json.loads((shared / FIXTURES["risc0"] / "verification_key.json").read_text())
    raw["nPublic"] = 2
    with pytest.raises(InvalidEncoding):
        VerifyingKey.from_snarkjs(raw)


def test_batch_verify_accepts_good_batches_and_refuses_one_bad_among_32(shared):
    vk, proof, public = load(shared, "eligibility")
    good = [(proof, public)] * 32
    assert batch_verify(vk, good)
    assert batch_verify(vk, [])
    bad_public = [public[0], (public[1] + 1) % R] + public[2:]
    for position in (0, 17, 31):
        items = list(good)
        items[position] = (proof, bad_public)
        assert not batch_verify(vk, items)
    items = list(good)
    items[5] = (Proof(proof.a, proof.b, -proof.c), public)
    assert not batch_verify(vk, items)


def test_batch_verify_with_fixed_randomizers_cannot_be_cancelled_by_a_pair_of_bad_proofs(shared):
    # Two wrong proofs whose errors cancel when summed with equal weights: C + Δ and C − Δ.
    vk, proof, public = load(shared, "eligibility")
    delta = G1.generator() * 777
    plus, minus = Proof(proof.a, proof.b, proof.c + delta), Proof(proof.a, proof.b, proof.c - delta)
    assert batch_verify(vk, [(plus, public), (minus, public)], randomizers=[1, 1])  # why randomizers matter
    rng = random.Random(3)
    assert not batch_verify(vk, [(plus, public), (minus, public)], randomizers=[rng.getrandbits(128) | 1 for _ in "ab"])
    assert not batch_verify(vk, [(plus, public), (minus, public)])


def test_batch_verify_refuses_malformed_items(shared):
    vk, proof, public = load(shared, "eligibility")
    with pytest.raises(InvalidEncoding):
        batch_verify(vk, [(proof, public[:-1])])
    with pytest.raises(InvalidEncoding):
        batch_verify(vk, [("not a proof", public)])
