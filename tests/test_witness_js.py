"""The portable witness program: exported from the DSL, run by service/web/wallet/witness.js in node,
equal to the Python witness wire for wire; snarkjs proves from the JavaScript .wtns; refusals match."""

import datetime as dt
import hashlib
import json
import random
import subprocess
import time

import pytest

from circuits import credentials as cr
from circuits import witness_program as wp
from circuits.credential_query import Op, Query, credential_query_circuit
from circuits.requests import ProofRequest, circuit_inputs, prove_request
from zkcore.errors import Unsatisfied
from zkcore.groth16 import Proof, read_wtns, verify
from zkcore.groth16.keys import public_inputs_from_snarkjs
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.params import R

SMALL_DEPTH = 3
DRIVER = "tests/js/witness_cases.mjs"
TODAY = dt.date(2026, 11, 30)
TOP = (1 << 64) - 1


def _json_inputs(inputs: dict) -> dict:
    return {k: str(v) if isinstance(v, int) else [str(x) for x in v] for k, v in inputs.items()}


def run_js(tmp_path, files: dict[str, bytes], cases: list[dict]) -> list[dict]:
    """Run every case through witness.js; each result is {witness, ms, wtns path} or {error}."""
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(["node", DRIVER, str(tmp_path / wp.PROGRAM_FILE), str(tmp_path / wp.CONSTANTS_FILE),
                           str(tmp_path / "cases.json"), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = []
    for i in range(len(cases)):
        result = json.loads((out / f"{i}.json").read_text())
        result["wtns"] = out / f"{i}.wtns"
        results.append(result)
    return results


def random_query(rng: random.Random, slots) -> Query:
    slot = rng.randrange(8)
    op = rng.choice([op for op in Op if op != Op.NOOP])
    x = slots[slot]
    near = lambda: min(max(x + rng.choice((-1, 0, 1)), 0), TOP)  # noqa: E731  (both outcomes, often)
    if op in (Op.BETWEEN, Op.NOT_BETWEEN):
        a, b = sorted((near(), near()))
        return Query(slot, op, (a, b))
    if op in (Op.IN, Op.NIN):
        return Query(slot, op, tuple(near() for _ in range(rng.randrange(1, 9))))
    return Query(slot, op, (near(),))


def random_case(rng: random.Random, depth: int):
    return circuit_inputs(*random_parts(rng, depth))


def random_parts(rng: random.Random, depth: int):
    """A random credential (issuer-signed form), secret, path and request, about half of them answerable."""
    secret = rng.randrange(1, R)
    slots = [rng.choice((0, TOP, rng.randrange(1 << 64))) for _ in range(8)]
    expiry = TODAY + dt.timedelta(days=rng.choice((-1, 0, 1, 400)))
    credential = cr.Credential("person.v1", "registry", cr.id_commitment(secret), tuple(slots), cr.encode_date(expiry),
                               rng.randrange(R))
    tree = PoseidonTree(depth)
    tree.extend([rng.randrange(1, R) for _ in range(rng.randrange(6))])
    index = tree.append(credential.leaf)
    queries = tuple(random_query(rng, slots) for _ in range(rng.randrange(5)))
    scope = rng.choice(("scope/x", "hôpital/visites 2026", "s"))
    request = ProofRequest("person.v1", ("registry",), queries, scope, rng.randrange(R), TODAY)
    return credential, secret, tree.path(index), request


def satisfiable_case(circuit, rng: random.Random) -> dict:
    while True:
        inputs = random_case(rng, SMALL_DEPTH)
        try:
            circuit.witness(**inputs)
            return inputs
        except Unsatisfied:
            continue


@pytest.fixture(scope="module")
def small():
    circuit = credential_query_circuit(SMALL_DEPTH)
    return circuit, wp.export(circuit, "credential-query-d3-q4-m8")


def test_js_witness_equals_python_wire_for_wire_and_refuses_as_python_does(small, node_modules, tmp_path):
    circuit, files = small
    rng = random.Random(20261130)
    cases = [random_case(rng, SMALL_DEPTH) for _ in range(12)]
    expected = []
    for inputs in cases:
        try:
            expected.append(("ok", circuit.witness(**inputs)))
        except Unsatisfied as e:
            expected.append(("refused", str(e)))
    outcomes = {kind for kind, _ in expected}
    assert outcomes == {"ok", "refused"}, "the seed must draw both satisfiable and unsatisfiable requests"
    assert any("query" in msg for kind, msg in expected if kind == "refused")
    results = run_js(tmp_path, files, [{"inputs": _json_inputs(c)} for c in cases])
    for (kind, want), got in zip(expected, results):
        if kind == "ok":
            assert "error" not in got, got["error"]
            assert [int(x) for x in got["witness"]] == want
            assert read_wtns(got["wtns"]) == want  # the .wtns bytes snarkjs reads
        else:
            assert got["error"] == {"name": "Unsatisfied", "message": want}


def test_js_refuses_malformed_inputs_and_tampered_artifacts(small, node_modules, tmp_path):
    circuit, files = small
    good = _json_inputs(satisfiable_case(circuit, random.Random(1)))
    digests = {"program": hashlib.sha256(files[wp.PROGRAM_FILE]).hexdigest(),
               "constants": hashlib.sha256(files[wp.CONSTANTS_FILE]).hexdigest()}
    cases = [
        {"inputs": good, "expected": digests},
        {"inputs": {k: v for k, v in good.items() if k != "nonce"}},
        {"inputs": {**good, "slots": good["slots"][:7]}},
        {"inputs": {**good, "nonce": str(R)}},
        {"inputs": {**good, "nonce": "-1"}},
        {"inputs": {**good, "extra": "1"}},
        {"inputs": good, "expected": {**digests, "program": "0" * 64}},
        {"inputs": good, "expected": {**digests, "constants": "0" * 64}},
    ]
    results = run_js(tmp_path, files, cases)
    assert "witness" in results[0]
    errors = [r.get("error") for r in results[1:]]
    assert errors[0] == {"name": "InvalidInput", "message": "inputs: missing [\"nonce\"], unknown []"}
    assert errors[1] == {"name": "InvalidInput", "message": "input slots must be a list of 8 values"}
    assert errors[2] == errors[3] == {"name": "InvalidInput", "message": "input nonce must be integers in [0, r)"}
    assert errors[4]["message"] == "inputs: missing [], unknown [\"extra\"]"
    assert errors[5]["name"] == errors[6]["name"] == "BadArtifact"

    # constants swapped for another file: the program names its constants by digest
    other = {**files, wp.CONSTANTS_FILE: files[wp.CONSTANTS_FILE][:-1] + b" }"}
    (tmp_path / "other").mkdir()
    (tampered,) = run_js(tmp_path / "other", other, [{"inputs": good}])
    assert tampered["error"] == {"name": "BadArtifact",
                                 "message": "the Poseidon constants are not the ones the witness program names"}


def test_snarkjs_proves_from_the_js_witness_at_depth_20(query_keys, node_modules, tmp_path):
    """The served artifacts of the real keys, a JS witness, snarkjs's prover, our verifier."""
    directory = query_keys.directory
    files = {name: (directory / name).read_bytes() for name in wp.ARTIFACT_FILES}
    recorded = query_keys.metadata["files"]
    expected = {"program": recorded[wp.PROGRAM_FILE], "constants": recorded[wp.CONSTANTS_FILE]}
    rng = random.Random(7)
    secret = rng.randrange(1, R)
    credential = cr.issue(cr.PERSON, "registry", cr.id_commitment(secret),
                          {"birthdate": dt.date(1990, 5, 12), "country": 250}, dt.date(2031, 1, 1))
    tree = PoseidonTree(20)
    tree.extend([rng.randrange(1, R) for _ in range(300)])
    index = tree.append(credential.leaf)
    request = ProofRequest.new(cr.PERSON, ["registry"], [Query(0, Op.LTE, (cr.encode_date(dt.date(2008, 11, 30)),)),
                                                         Query(1, Op.IN, (250, 276))], "scope/age", TODAY)
    inputs = circuit_inputs(credential, secret, tree.path(index), request)
    circuit = credential_query_circuit(20)
    start = time.perf_counter()
    want = circuit.witness(**inputs)
    python_ms = (time.perf_counter() - start) * 1000
    (got,) = run_js(tmp_path, files, [{"inputs": _json_inputs(inputs), "expected": expected}])
    assert "error" not in got, got.get("error")
    assert [int(x) for x in got["witness"]] == want
    print(f"\nwitness at depth 20: JavaScript (node) {got['ms']:.0f} ms, Python replay {python_ms:.0f} ms")

    snarkjs = node_modules / ".bin" / "snarkjs"
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    done = subprocess.run([str(snarkjs), "groth16", "prove", str(directory / "circuit.zkey"), str(got["wtns"]),
                           str(proof), str(public)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    signals = public_inputs_from_snarkjs(json.loads(public.read_text()))
    assert signals == circuit.public_inputs(want)
    assert verify(query_keys.vk, Proof.from_snarkjs(json.loads(proof.read_text())), signals)
    assert not verify(query_keys.vk, Proof.from_snarkjs(json.loads(proof.read_text())), [signals[0] + 1, *signals[1:]])


def test_js_circuit_inputs_and_refusals_equal_python(small, node_modules, tmp_path):
    """inputs.js computes the public inputs (nullifier, root, schema id, queries hash, today, scope)
    and the padding as circuit_inputs does, and refuses for prove_request's reasons, in its order."""
    circuit, files = small
    rng = random.Random(99)
    parts = [random_parts(rng, SMALL_DEPTH) for _ in range(10)]
    other_issuer = ProofRequest("person.v1", ("elsewhere",), (), "s", 1, TODAY)
    insurance = ProofRequest("insurance.v1", ("registry",), (), "s", 1, TODAY)
    parts += [(parts[0][0], parts[0][1], parts[0][2], other_issuer), (parts[0][0], parts[0][1], parts[0][2], insurance),
              (parts[0][0], parts[0][1] + 1, parts[0][2], parts[0][3])]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    cases = [{"credential": c.to_json(), "secret": str(s), "request": r.to_json(),
              "path": {"siblings": [str(x) for x in p.siblings], "indexBits": list(p.index_bits)}}
             for c, s, p, r in parts]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(["node", "tests/js/inputs_cases.mjs", str(tmp_path / wp.PROGRAM_FILE),
                           str(tmp_path / wp.CONSTANTS_FILE), str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out.json").read_text())
    assert results[0]["ops"] == {op.name: int(op) for op in Op}
    reasons = set()
    for (credential, secret, path, request), got in zip(parts, results):
        assert got["inputs"] == _json_inputs(circuit_inputs(credential, secret, path, request))
        try:
            prove_request(credential, secret, path, request, pk=None)
            python_refusal = None
        except Unsatisfied as e:
            python_refusal = str(e)
        except AttributeError:  # passed every check and reached the prover, which has no key here
            python_refusal = None
        refusal = got["refusal"]
        reasons.add(refusal and refusal["reason"])
        assert _refusal_words(refusal, request) == python_refusal
        if refusal is None:
            assert got["witness"] == "ok"
        else:
            assert got["witness"]["name"] == "Unsatisfied"
    assert reasons >= {None, "query", "issuer", "schema", "secret"}


def _refusal_words(refusal, request):
    """prove_request's message for inputs.js's refusal data."""
    if refusal is None:
        return None
    return {
        "schema": f"the request asks for a {request.schema} credential, not person.v1",
        "issuer": "the request does not accept issuer registry",
        "secret": "the secret does not match the credential's identity commitment",
        "expired": "the credential has expired",
    }.get(refusal["reason"]) or f"query {refusal['query']} ({refusal['op']} on slot {refusal['slot']}) does not hold"
