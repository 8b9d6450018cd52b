"""Proving the eligibility-5654 workload from snarkjs's own .zkey and .wtns; snarkjs verifies."""

import json
import random
import subprocess
import sys

import numpy as np
import pytest

from zkcore import poly
from zkcore.errors import InvalidEncoding
from zkcore.groth16 import (
    VerifyingKey,
    create_proof,
    prove,
    public_inputs_from_snarkjs,
    public_signals,
    read_wtns,
    read_zkey,
    verify,
)
from zkcore.kernels import ifma
from zkcore.params import R


def test_zkey_header_matches_the_exported_verification_key(workload):
    folder, pk, witness = workload
    vk = VerifyingKey.from_snarkjs(json.loads((folder / "verification_key.json").read_text()))
    assert pk.vk == vk
    assert (pk.n_vars, pk.n_public, 1 << pk.log_domain) == (5680, 5, 8192)
    assert len(witness) == 5680 and witness[0] == 1
    assert public_signals(pk, witness) == public_inputs_from_snarkjs(json.loads((folder / "public.json").read_text()))


def test_our_proof_verifies_with_ours_and_is_randomised(workload):
    _, pk, witness = workload
    public = public_signals(pk, witness)
    p1, p2 = prove(pk, witness), prove(pk, witness)
    assert p1 != p2
    assert verify(pk.vk, p1, public) and verify(pk.vk, p2, public)
    assert not verify(pk.vk, p1, [public[0], (public[1] + 1) % R, *public[2:]])


def test_create_proof_is_deterministic(workload):
    _, pk, witness = workload
    assert create_proof(pk, witness, 5, 7) == create_proof(pk, witness, 5, 7)
    assert create_proof(pk, witness, 5, 7) != create_proof(pk, witness, 5, 8)


@pytest.mark.parametrize("wire", [7, 2000, 5679])
def test_a_tampered_private_wire_gives_a_proof_that_fails(workload, wire):
    _, pk, witness = workload
    tampered = list(witness)
    tampered[wire] = (tampered[wire] + 1) % R
    assert not verify(pk.vk, prove(pk, tampered), public_signals(pk, witness))


def test_malformed_witness_and_key_files_are_refused(workload, tmp_path):
    folder, pk, witness = workload
    with pytest.raises(InvalidEncoding):
        prove(pk, witness[:-1])
    with pytest.raises(InvalidEncoding):
        prove(pk, [*witness[:-1], R])
    raw = (folder / "witness.wtns").read_bytes()
    for name, data in [("magic", b"xtns" + raw[4:]), ("truncated", raw[:-5]), ("empty", b"")]:
        path = tmp_path / f"{name}.wtns"
        path.write_bytes(data)
        with pytest.raises(InvalidEncoding):
            read_wtns(path)
    zraw = bytearray((folder / "circuit.zkey").read_bytes())
    path = tmp_path / "bad.zkey"
    path.write_bytes(bytes(zraw[:1000]))
    with pytest.raises(InvalidEncoding):
        read_zkey(path)


def test_roots_of_unity_are_ffjavascripts():
    # ffjavascript's w[28] for the BN254 scalar field, and its order.
    w28 = poly.root_of_unity(28)
    assert w28 == 19103219067921713944291392827692070036145651957329286315305642004821462161904
    assert pow(w28, 1 << 27, R) == R - 1


def test_ntt_round_trip_and_against_direct_evaluation():
    from zkcore import field

    rng = random.Random(4)
    coeffs = [rng.randrange(R) for _ in range(16)]
    mont = field.to_montgomery(field.ints_to_array(coeffs), R)
    evals = poly.ntt(mont, 4)
    w = poly.root_of_unity(4)
    direct = [sum(c * pow(w, i * j, R) for j, c in enumerate(coeffs)) % R for i in range(16)]
    assert field.array_to_ints(field.from_montgomery(evals, R)) == direct
    assert np.array_equal(poly.intt(evals, 4), mont)


def _python_ntt(values, w):
    """The transform written out with Python ints (recursive radix 2): the kernel's twin."""
    if len(values) == 1:
        return list(values)
    even, odd = _python_ntt(values[0::2], w * w % R), _python_ntt(values[1::2], w * w % R)
    half, out, t = len(values) // 2, [0] * len(values), 1
    for k in range(half):
        out[k], out[k + half] = (even[k] + t * odd[k]) % R, (even[k] - t * odd[k]) % R
        t = t * w % R
    return out


@pytest.mark.parametrize("log_n", [11, 13])
def test_ntt_split_across_cores_matches_the_python_transform(log_n):
    from zkcore import field

    rng = random.Random(log_n)
    coeffs = [rng.randrange(R) for _ in range(1 << log_n)]
    mont = field.to_montgomery(field.ints_to_array(coeffs), R)
    evals = poly.ntt(mont, log_n)
    assert field.array_to_ints(field.from_montgomery(evals, R)) == _python_ntt(coeffs, poly.root_of_unity(log_n))
    assert np.array_equal(poly.intt(evals, log_n), mont)


def test_the_quotient_transforms_of_a_stack_match_the_python_transform():
    # the rows are transformed together; each must come out as its own inverse transform, coset
    # shift and transform, written with Python ints
    from zkcore import field

    log_n, rng = 12, random.Random(12)
    n, w, shift = 1 << log_n, poly.root_of_unity(log_n), poly.root_of_unity(log_n + 1)
    rows = [[rng.randrange(R) for _ in range(n)] for _ in range(3)]
    stack = np.stack([field.to_montgomery(field.ints_to_array(row), R) for row in rows])
    out = poly.coset_from_evaluations(stack, log_n, shift)
    n_inv = pow(n, -1, R)
    for row, got in zip(rows, out):
        coefficients = [c * n_inv % R for c in _python_ntt(row, pow(w, -1, R))]
        shifted = [c * pow(shift, j, R) % R for j, c in enumerate(coefficients)]
        assert field.array_to_ints(field.from_montgomery(got, R)) == _python_ntt(shifted, w)


def test_constraint_evaluations_match_python_ints(workload):
    # a and b from the key's coefficient entries summed with Python ints, c = a·b
    from zkcore import field
    from zkcore.kernels import ntt as kntt

    _, pk, witness = workload
    n = 1 << pk.log_domain
    got = kntt.constraint_evaluations(pk.coef_matrix, pk.coef_constraint, pk.coef_signal, pk.coef_value,
                                      field.to_montgomery(field.ints_to_array(witness), R), n)
    coefficients = field.array_to_ints(field.from_montgomery(pk.coef_value, R))
    want = [[0] * n, [0] * n]
    for which, k, signal, c in zip(pk.coef_matrix, pk.coef_constraint, pk.coef_signal, coefficients):
        want[which][k] = (want[which][k] + c * witness[signal]) % R
    want.append([a * b % R for a, b in zip(*want)])
    for row, expected in zip(got, want):
        assert field.array_to_ints(field.from_montgomery(row, R)) == expected


@pytest.mark.skipif(not ifma.available(), reason="no AVX-512 IFMA")
@pytest.mark.parametrize("log_n", [3, 4, 10])
def test_the_lane_transform_matches_the_python_transform(log_n):
    # n = 8 has no inner stage (all three stages pair lanes); the edges 0, 1 and r − 1 are in
    from zkcore import field
    from zkcore.kernels import ntt_lanes

    n, rng = 1 << log_n, random.Random(log_n)
    rows = [[0, 1, R - 1] + [rng.randrange(R) for _ in range(n - 3)], [rng.randrange(R) for _ in range(n)]]
    scale = [rng.randrange(R) for _ in range(n)]
    for inverse, scaled in ((False, False), (True, True)):
        stack = np.stack([field.to_montgomery(field.ints_to_array(row), R) for row in rows])
        table = poly._NO_SCALE
        if scaled:
            table = ntt_lanes.lane_table(ntt_lanes.lane_twiddles(field.to_montgomery(field.ints_to_array(scale), R)))
        ntt_lanes.transform_rows(stack, *poly._lane_twiddles(log_n, inverse), table)
        w = poly.root_of_unity(log_n)
        for row, got in zip(rows, stack):
            want = _python_ntt(row, pow(w, -1, R) if inverse else w)
            if scaled:
                want = [x * c % R for x, c in zip(want, scale)]
            assert all(x < R for x in field.array_to_ints(got)), "a stored value is not canonical"
            assert field.array_to_ints(field.from_montgomery(got, R)) == want


@pytest.mark.parametrize("parts", [1, 2, 4])
def test_ntt_cut_in_parts_matches_the_python_transform(parts):
    from zkcore import field
    from zkcore.kernels import ntt as kntt

    log_n, rng = 10, random.Random(parts)
    rows = [[rng.randrange(R) for _ in range(1 << log_n)] for _ in range(2)]
    stack = np.stack([field.to_montgomery(field.ints_to_array(row), R) for row in rows])
    kntt.ntt_many(stack, poly._twiddles(log_n, False), parts)
    for row, got in zip(rows, stack):
        assert field.array_to_ints(field.from_montgomery(got, R)) == _python_ntt(row, poly.root_of_unity(log_n))


def test_snarkjs_verifies_our_proof_and_cli_round_trip(workload, node_modules, tmp_path):
    folder, _, _ = workload
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "groth16",
            "prove",
            str(folder / "circuit.zkey"),
            str(folder / "witness.wtns"),
            str(proof),
            str(public),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    snarkjs = node_modules / ".bin" / "snarkjs"
    check = subprocess.run(
        [str(snarkjs), "groth16", "verify", str(folder / "verification_key.json"), str(public), str(proof)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr
    # and a tampered public signal is refused by snarkjs too
    signals = json.loads(public.read_text())
    signals[0] = str((int(signals[0]) + 1) % R)
    public.write_text(json.dumps(signals))
    check = subprocess.run(
        [str(snarkjs), "groth16", "verify", str(folder / "verification_key.json"), str(public), str(proof)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "OK" not in check.stdout
