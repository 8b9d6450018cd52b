"""Writing .wtns/.zkey (byte-exact round trips) and phase-2 contributions that snarkjs proves with."""

import json
import random
import subprocess
from dataclasses import replace

import pytest

from zkcore.curve import G1
from zkcore.errors import InvalidEncoding
from zkcore.groth16 import (
    SINGLE_PARTY_WARNING,
    Proof,
    contribute,
    key_digest,
    prove,
    public_inputs_from_snarkjs,
    public_signals,
    setup_r1cs,
    verify,
    verify_contribution,
    verify_contributions,
    write_wtns,
    write_zkey,
)


@pytest.fixture(scope="module")
def contributed(workload):
    _, pk, _ = workload
    first, r1 = contribute(pk, "regulator", random.Random(1))
    second, r2 = contribute(first, "hospital association", random.Random(2))
    return pk, first, r1, second, r2


def test_files_round_trip_byte_for_byte(workload, tmp_path):
    folder, pk, witness = workload
    write_zkey(tmp_path / "k.zkey", pk)
    write_wtns(tmp_path / "w.wtns", witness)
    assert (tmp_path / "k.zkey").read_bytes() == (folder / "circuit.zkey").read_bytes()
    assert (tmp_path / "w.wtns").read_bytes() == (folder / "witness.wtns").read_bytes()


def test_a_chain_of_contributions_verifies_and_proofs_follow_the_new_key(workload, contributed):
    _, _, witness = workload
    pk, first, r1, second, r2 = contributed
    assert verify_contribution(pk, first, r1) and verify_contribution(first, second, r2)
    assert verify_contributions([pk, first, second], [r1, r2])
    assert not verify_contributions([pk, second], [r2])
    assert not verify_contributions([pk, first, second], [r2, r1])
    assert r2.before == r1.after == key_digest(first)
    public = public_signals(second, witness)
    proof = prove(second, witness)
    assert verify(second.vk, proof, public)
    assert not verify(pk.vk, proof, public)


def test_forged_contributions_are_refused_even_with_a_matching_receipt(contributed):
    pk, first, r1, _, _ = contributed
    c = first.c_g1.copy()
    c[[3, 4]] = c[[4, 3]]
    h = first.h_g1.copy()
    h[7] = h[8]
    forgeries = [
        replace(first, c_g1=c),
        replace(first, h_g1=h),
        replace(first, delta_g1=first.delta_g1 * 2),  # δ in G1 and G2 no longer agree
        replace(first, vk=replace(first.vk, ic_g1=(G1.generator(),) + first.vk.ic_g1[1:])),
    ]
    for forged in forgeries:
        receipt = replace(r1, after=key_digest(forged), delta_g1=forged.delta_g1, delta_g2=forged.vk.delta_g2)
        assert not verify_contribution(pk, forged, receipt)
    assert not verify_contribution(pk, first, replace(r1, before="0" * 64))
    assert not verify_contribution(first, first, replace(r1, before=key_digest(first), after=key_digest(first)))


def test_snarkjs_proves_with_a_contributed_key_we_wrote(workload, contributed, node_modules, tmp_path):
    folder, _, _ = workload
    *_, second, _ = contributed
    write_zkey(tmp_path / "c.zkey", second)
    (tmp_path / "vk.json").write_text(json.dumps(second.vk.to_snarkjs()))
    snarkjs = str(node_modules / ".bin" / "snarkjs")
    run = lambda *args: subprocess.run([snarkjs, *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)  # noqa: E731
    proved = run("groth16", "prove", "c.zkey", str(folder / "witness.wtns"), "p.json", "pub.json")
    assert proved.returncode == 0, proved.stderr
    checked = run("groth16", "verify", "vk.json", "pub.json", "p.json")
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr
    # and the original key's verification key refuses that proof
    checked = run("groth16", "verify", str(folder / "verification_key.json"), "pub.json", "p.json")
    assert "OK" not in checked.stdout


@pytest.fixture(scope="module")
def dsl_key():
    from test_dsl import AgeAtLeast

    compiled = AgeAtLeast.compile()
    return compiled, setup_r1cs(compiled.cs, random.Random(11))


def test_single_party_setup_proves_and_says_what_it_is(dsl_key):
    compiled, pk = dsl_key
    assert pk.provenance == SINGLE_PARTY_WARNING
    witness = compiled.witness(cutoff=20_000, birthdate=9_000)
    public = compiled.public_inputs(witness)
    proof = prove(pk, witness)
    assert verify(pk.vk, proof, public)
    assert not verify(pk.vk, proof, [19_999])
    # a witness that does not satisfy the circuit gives a proof that does not verify
    cheat = list(witness)
    cheat[2] = 20_001
    assert not verify(pk.vk, prove(pk, cheat), public)


def test_dsl_circuit_interoperates_with_snarkjs_both_ways(dsl_key, node_modules, tmp_path):
    compiled, pk = dsl_key
    witness = compiled.witness(cutoff=20_000, birthdate=20_000)
    write_zkey(tmp_path / "age.zkey", pk)
    write_wtns(tmp_path / "age.wtns", witness)
    (tmp_path / "vk.json").write_text(json.dumps(pk.vk.to_snarkjs()))
    snarkjs = str(node_modules / ".bin" / "snarkjs")
    run = lambda *args: subprocess.run([snarkjs, *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)  # noqa: E731
    # snarkjs proves with our key, we verify
    proved = run("groth16", "prove", "age.zkey", "age.wtns", "p.json", "pub.json")
    assert proved.returncode == 0, proved.stderr
    theirs = Proof.from_snarkjs(json.loads((tmp_path / "p.json").read_text()))
    assert public_inputs_from_snarkjs(json.loads((tmp_path / "pub.json").read_text())) == [20_000]
    assert verify(pk.vk, theirs, [20_000])
    # we prove, snarkjs verifies
    (tmp_path / "ours.json").write_text(json.dumps(prove(pk, witness).to_snarkjs()))
    checked = run("groth16", "verify", "vk.json", "pub.json", "ours.json")
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr


def test_r1cs_round_trip_and_snarkjs_reads_it(dsl_key, node_modules, tmp_path):
    from zkcore.groth16 import read_r1cs, write_r1cs

    compiled, _ = dsl_key
    write_r1cs(tmp_path / "age.r1cs", compiled.cs)
    back = read_r1cs(tmp_path / "age.r1cs")
    assert (back.n_public, back.n_wires, back.n_private_inputs) == (1, compiled.cs.n_wires, 1)
    assert [tuple(lc.terms for lc in c) for c in back.constraints] == [
        tuple(lc.terms for lc in c) for c in compiled.cs.constraints
    ]
    witness = compiled.witness(cutoff=5, birthdate=4)
    back.check(witness)
    info = subprocess.run(
        [str(node_modules / ".bin" / "snarkjs"), "r1cs", "info", "age.r1cs"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert info.returncode == 0, info.stderr
    assert f"# of Constraints: {compiled.n_constraints}" in info.stdout
    assert "# of Public Inputs: 1" in info.stdout and "# of Private Inputs: 1" in info.stdout
    (tmp_path / "bad.r1cs").write_bytes((tmp_path / "age.r1cs").read_bytes()[:-9])
    with pytest.raises(InvalidEncoding):
        read_r1cs(tmp_path / "bad.r1cs")
