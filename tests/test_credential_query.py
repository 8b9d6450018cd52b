"""The universal credential query circuit: operators at their boundaries, forged witnesses, presets, proofs."""

import dataclasses
import datetime as dt
import json
import random
import subprocess

import pytest

from circuits import credentials as cr
from circuits.credential_query import (
    PUBLIC_INPUTS,
    Op,
    Query,
    credential_query_circuit,
    hash_queries,
)
from circuits.requests import (
    Presentation,
    ProofRequest,
    age_at_least,
    circuit_inputs,
    insured_on,
    prove_request,
    reimbursable,
    verify_presentation,
    years_before,
)
from zkcore.errors import InvalidEncoding, Unsatisfied
from zkcore.merkle.poseidon_tree import PoseidonTree

SMALL_DEPTH = 3  # operator semantics do not depend on the tree depth; small trees keep witnesses fast
TODAY = dt.date(2026, 11, 22)
TOP = (1 << 64) - 1


def holder(schema, values, issuer="registry", expiry=dt.date(2031, 1, 1), depth=SMALL_DEPTH, others=3):
    secret = cr.new_secret()
    credential = cr.issue(schema, issuer, cr.id_commitment(secret), values, expiry)
    tree = PoseidonTree(depth)
    tree.extend([random.randrange(1, 1 << 200) for _ in range(others)])
    index = tree.append(credential.leaf)
    return credential, secret, tree, tree.path(index)


def raw_credential(slots, depth=SMALL_DEPTH):
    """A person.v1-id credential with arbitrary slot values (encoded directly)."""
    secret = cr.new_secret()
    credential = cr.Credential(
        "person.v1", "registry", cr.id_commitment(secret), tuple(slots), cr.encode_date(dt.date(2031, 1, 1)), 99
    )
    tree = PoseidonTree(depth)
    index = tree.append(credential.leaf)
    return credential, secret, tree.path(index)


def request_for(queries, issuers=("registry",), scope="test/scope"):
    return ProofRequest.new(cr.PERSON, issuers, queries, scope, TODAY)


def satisfiable(credential, secret, path, request) -> bool:
    circuit = credential_query_circuit(len(path.siblings), request.q, request.m)
    try:
        circuit.witness(**circuit_inputs(credential, secret, path, request))
        return True
    except Unsatisfied:
        return False


def boundary_cases():
    for bound in (0, 1, 1000, TOP - 1, TOP):
        for x in {0, max(bound - 1, 0), bound, min(bound + 1, TOP), TOP}:
            for op in (Op.EQ, Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE):
                yield Query(0, op, (bound,)), x
            for op in (Op.IN, Op.NIN):
                yield Query(0, op, (5, bound, 7)), x
            for op in (Op.BETWEEN, Op.NOT_BETWEEN):
                yield Query(0, op, (bound // 2, bound)), x
                yield Query(0, op, (bound, TOP)), x


CASES = list(boundary_cases())


def test_constraint_count_and_public_inputs():
    circuit = credential_query_circuit()
    assert circuit.cs.n_public == len(PUBLIC_INPUTS) == 7
    assert 8000 < circuit.n_constraints < 10_000
    # the issue's bound: within 1.5× of tree path + leaf hash + Q × comparison cost
    names = circuit.cs.names
    path = sum(n.startswith("merkle") for n in names)
    leaf = sum(n.startswith("leaf:") or n.startswith("leaf round") for n in names)
    queries = sum(n.startswith("query ") for n in names)
    assert path == 20 * 252 and leaf > 0 and queries > 0  # a level: Poseidon(2) 240 + 10 checkpoints + 2
    assert circuit.n_constraints <= 1.5 * (path + leaf + queries)
    # the A and B coefficients a phone's snarkjs evaluates one by one (217,421 before checkpoints)
    assert sum(len(a.terms) + len(b.terms) for a, b, _ in circuit.cs.constraints) < 100_000


@pytest.mark.parametrize("slot", range(8))
def test_every_slot_is_selectable(slot):
    values = [1000 + i for i in range(8)]
    credential, secret, path = raw_credential(values)
    assert satisfiable(credential, secret, path, request_for([Query(slot, Op.EQ, (1000 + slot,))]))
    assert not satisfiable(credential, secret, path, request_for([Query(slot, Op.EQ, (1000 + (slot + 1) % 8,))]))


def test_operators_at_their_boundaries_match_the_reference():
    """Every operator, bound ∈ {0, 1, 1000, 2^64 − 2, 2^64 − 1}, x ∈ {0, bound − 1, bound, bound + 1, 2^64 − 1}."""
    outcomes = set()
    for query, x in CASES:
        credential, secret, path = raw_credential([x] + [0] * 7)
        got = satisfiable(credential, secret, path, request_for([query]))
        assert got == query.holds(x), (query, x)
        outcomes.add((query.op, got))
    assert {op for op, got in outcomes if got} == set(Op) - {Op.NOOP}
    assert {op for op, got in outcomes if not got} == set(Op) - {Op.NOOP}


def test_noop_and_four_queries_together():
    credential, secret, path = raw_credential([5, 10, 15, 20, 0, 0, 0, TOP])
    queries = [
        Query(0, Op.LT, (6,)),
        Query(1, Op.IN, (1, 10)),
        Query(2, Op.BETWEEN, (15, 15)),
        Query(7, Op.GTE, (TOP,)),
    ]
    assert satisfiable(credential, secret, path, request_for(queries))
    assert satisfiable(credential, secret, path, request_for([]))  # four NOOPs
    queries[3] = Query(7, Op.LT, (TOP,))
    assert not satisfiable(credential, secret, path, request_for(queries))


def test_values_of_64_bits_or_more_are_refused():
    with pytest.raises(InvalidEncoding):
        Query(0, Op.LT, (1 << 64,))
    with pytest.raises(InvalidEncoding):
        cr.PERSON.encode({"birthdate": 1 << 64, "country": 1})
    # in the circuit: an operand beyond 64 bits has no witness, even where the field would wrap
    credential, secret, path = raw_credential([5] + [0] * 7)
    inputs = circuit_inputs(credential, secret, path, request_for([Query(0, Op.LT, (6,))]))
    circuit = credential_query_circuit(SMALL_DEPTH)
    for wide in (1 << 64, (1 << 64) + 6, cr.R - 1):
        forged = dict(inputs, values=[wide] + inputs["values"][1:])
        forged["queries_hash"] = _hash_words(forged)
        with pytest.raises(Unsatisfied, match="fits 64 bits"):
            circuit.witness(**forged)


def _hash_words(inputs) -> int:
    from circuits.credential_query import _sponge
    from zkcore.poseidon import poseidon

    words = []
    for k in range(4):
        words.append(inputs["query_slots"][k] + 8 * inputs["query_ops"][k])
        words.extend(inputs["values"][k * 8 : (k + 1) * 8])
    return _sponge(words, poseidon)


def _query_wires(circuit, k: int) -> set[int]:
    first_free = 1 + circuit.cs.n_public + circuit.cs.n_private_inputs
    wires = set()
    for (a, b, c), name in zip(circuit.cs.constraints, circuit.cs.names):
        if name.startswith(f"query {k}:"):
            for lc in (a, b, c):
                wires.update(w for w in lc.terms if w >= first_free)
    return wires


@pytest.mark.parametrize(
    "op,true_x,false_x,values",
    [
        (Op.LTE, 100, 101, (100,)),
        (Op.GT, 101, 100, (100,)),
        (Op.IN, 7, 8, (5, 6, 7)),
        (Op.NOT_BETWEEN, 9, 10, (10, 20)),
    ],
)
def test_forged_witnesses_cannot_satisfy_a_false_query(op, true_x, false_x, values):
    """Splice the query wires of an honest witness for a true x into the witness for a false x,
    and mix them at random: the committed slot value pins the answer."""
    circuit = credential_query_circuit(SMALL_DEPTH)
    request = request_for([Query(0, op, values)])
    credential, secret, path = raw_credential([false_x] + [0] * 7)
    honest = circuit.solve(**circuit_inputs(credential, secret, path, request))
    twin = cr.Credential(
        credential.schema,
        credential.issuer,
        credential.id_commitment,
        (true_x,) + credential.slots[1:],
        credential.expiry,
        credential.nonce,
    )
    donor = circuit.solve(**circuit_inputs(twin, secret, path, request))
    wires = sorted(_query_wires(circuit, 0))
    rng = random.Random(1)
    for trial in range(60):
        chosen = wires if trial == 0 else rng.sample(wires, rng.randrange(1, len(wires)))
        forged = list(honest)
        for w in chosen:
            forged[w] = donor[w]
        if trial % 3 == 2:  # also flip a random boolean-looking wire
            w = rng.choice(wires)
            forged[w] = 1 - forged[w] if forged[w] in (0, 1) else forged[w]
        assert circuit.cs.first_unsatisfied(forged) is not None


def test_expired_credentials_are_refused():
    credential, secret, tree, path = holder(
        cr.PERSON, {"birthdate": dt.date(1990, 1, 1), "country": 528}, expiry=TODAY - dt.timedelta(days=1)
    )
    request = age_at_least(18, TODAY, ["registry"], "hospital/2026")
    with pytest.raises(Unsatisfied, match="expired"):
        prove_request(credential, secret, path, request, pk=None)
    assert not satisfiable(credential, secret, path, request)
    # valid through the expiry day itself
    credential, secret, tree, path = holder(cr.PERSON, {"birthdate": dt.date(1990, 1, 1), "country": 528}, expiry=TODAY)
    assert satisfiable(credential, secret, path, request)


def test_age_preset_on_the_birthday():
    eighteen_today = years_before(TODAY, 18)
    request = age_at_least(18, TODAY, ["registry"], "bar/2026")
    for birthdate, adult in (
        (eighteen_today, True),
        (eighteen_today + dt.timedelta(days=1), False),
        (dt.date(1950, 6, 1), True),
        (TODAY, False),
    ):
        credential, secret, tree, path = holder(cr.PERSON, {"birthdate": birthdate, "country": 528})
        assert satisfiable(credential, secret, path, request) is adult, birthdate
    assert years_before(dt.date(2028, 2, 29), 18) == dt.date(2010, 2, 28)


def insurance(plan=7, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), cap=500_000):
    return {"plan": plan, "insured_from": start, "insured_until": end, "annual_cap_cents": cap, "region": 3}


def test_insured_and_reimbursable_presets():
    credential, secret, tree, path = holder(cr.INSURANCE, insurance(), issuer="insurer-a")
    for day, insured in (
        (dt.date(2026, 1, 1), True),
        (dt.date(2025, 12, 31), False),
        (dt.date(2026, 12, 31), True),
        (dt.date(2027, 1, 1), False),
    ):
        assert satisfiable(credential, secret, path, insured_on(day, TODAY, ["insurer-a"], "s")) is insured
    day = dt.date(2026, 6, 1)
    for plans, claim, ok in (
        ([3, 7, 9], 500_000, True),
        ([3, 7, 9], 500_001, False),
        ([3, 9], 100, False),
        ([7], 0, True),
    ):
        request = reimbursable(plans, claim, day, TODAY, ["insurer-a"], "claims/2026")
        assert len(request.queries) == 4
        assert satisfiable(credential, secret, path, request) is ok


def test_prove_request_names_the_failing_query():
    credential, secret, tree, path = holder(cr.INSURANCE, insurance(plan=4), issuer="insurer-a")
    with pytest.raises(Unsatisfied, match="query 0 \\(IN"):
        prove_request(credential, secret, path, reimbursable([7], 1, TODAY, TODAY, ["insurer-a"], "c"), pk=None)
    with pytest.raises(Unsatisfied, match="does not accept issuer"):
        prove_request(credential, secret, path, insured_on(TODAY, TODAY, ["insurer-b"], "c"), pk=None)
    with pytest.raises(Unsatisfied, match="secret"):
        prove_request(credential, secret + 1, path, insured_on(TODAY, TODAY, ["insurer-a"], "c"), pk=None)


def test_request_json_round_trip_and_malformed_requests():
    request = reimbursable([1, 2], 300, TODAY, TODAY, ["insurer-a"], "claims/2026")
    assert ProofRequest.from_json(json.loads(json.dumps(request.to_json()))) == request
    bad = request.to_json()
    for mutate in (
        lambda o: o.update(schema="nope.v9"),
        lambda o: o["queries"][0].update(op="LIKE"),
        lambda o: o["queries"][0].update(values=[str(1 << 64)]),
        lambda o: o.update(challenge="-1"),
        lambda o: o.update(today="yesterday"),
        lambda o: o.update(queries=[{"slot": 0, "op": "EQ"}] * 5),
        lambda o: o.pop("scope"),
        lambda o: o.update(issuers=[]),
    ):
        obj = json.loads(json.dumps(bad))
        mutate(obj)
        with pytest.raises(InvalidEncoding):
            ProofRequest.from_json(obj)


# --- full proofs with the depth-20 keys -----------------------------------------------------------


@pytest.fixture(scope="module")
def adult(query_keys):
    credential, secret, tree, path = holder(
        cr.PERSON, {"birthdate": dt.date(1990, 3, 4), "country": 528}, depth=20, others=50
    )
    request = age_at_least(18, TODAY, ["registry"], "hospital-a/visits/2026")
    presentation = prove_request(credential, secret, path, request, query_keys.pk)
    return credential, secret, tree, path, request, presentation


def test_presentation_verifies_and_carries_nothing_personal(adult, query_keys):
    credential, secret, tree, path, request, presentation = adult
    roots = {"registry": {tree.root}}
    assert verify_presentation(query_keys.vk, request, presentation, roots)

    def values(obj):
        if isinstance(obj, dict):
            return {v for x in obj.values() for v in values(x)}
        if isinstance(obj, list):
            return {v for x in obj for v in values(x)}
        return {str(obj)}

    carried = values(presentation.to_json())
    for secret_value in (secret, credential.nonce, credential.leaf, credential.id_commitment, *credential.slots[:2]):
        assert str(secret_value) not in carried
    assert presentation.nullifier == cr.nullifier(secret, cr.scope_id(request.scope))
    assert presentation.root == tree.root


def test_presentations_are_refused_on_any_mismatch(adult, query_keys):
    credential, secret, tree, path, request, presentation = adult
    vk, roots = query_keys.vk, {"registry": {tree.root}}
    other = dataclasses.replace(request, challenge=request.challenge + 1)
    assert not verify_presentation(vk, other, presentation, roots)  # another challenge: a replay
    rescoped = dataclasses.replace(request, scope="hospital-b/visits/2026")
    assert not verify_presentation(vk, rescoped, presentation, roots)  # another verifier's scope
    later = dataclasses.replace(request, today=TODAY + dt.timedelta(days=1))
    assert not verify_presentation(vk, later, presentation, roots)
    assert not verify_presentation(vk, request, presentation, {"registry": {tree.root + 1}})  # root not accepted
    assert not verify_presentation(vk, request, presentation, {})
    assert not verify_presentation(
        vk, request, Presentation("other", presentation.proof, presentation.public_signals), roots
    )
    for i in range(len(PUBLIC_INPUTS)):
        signals = list(presentation.public_signals)
        signals[i] = str((int(signals[i]) + 1) % cr.R)
        tampered = Presentation(presentation.issuer, presentation.proof, signals)
        # a wrong nullifier or root passes the request check only to fail the proof
        accepted = {"registry": {tree.root, int(signals[1])}}
        assert not verify_presentation(vk, request, tampered, accepted)
    swapped = dict(presentation.proof, pi_a=presentation.proof["pi_c"], pi_c=presentation.proof["pi_a"])
    assert not verify_presentation(vk, request, Presentation("registry", swapped, presentation.public_signals), roots)
    with pytest.raises(InvalidEncoding):
        verify_presentation(vk, request, Presentation("registry", {"pi_a": ["1"]}, presentation.public_signals), roots)
    with pytest.raises(InvalidEncoding):
        verify_presentation(
            vk, request, Presentation("registry", presentation.proof, presentation.public_signals[:6]), roots
        )


def test_reimbursable_proof_end_to_end(query_keys):
    credential, secret, tree, path = holder(cr.INSURANCE, insurance(plan=9), issuer="insurer-a", depth=20)
    request = reimbursable([2, 9], 120_000, dt.date(2026, 6, 1), TODAY, ["insurer-a"], "claims/2026")
    presentation = prove_request(credential, secret, path, request, query_keys.pk)
    assert verify_presentation(query_keys.vk, request, presentation, {"insurer-a": {tree.root}})
    assert presentation.public_signals[3] == str(hash_queries(request.queries))


def test_snarkjs_verifies_a_presentation(adult, query_keys, node_modules, tmp_path):
    credential, secret, tree, path, request, presentation = adult
    (tmp_path / "proof.json").write_text(json.dumps(presentation.proof))
    (tmp_path / "public.json").write_text(json.dumps(presentation.public_signals))
    out = subprocess.run(
        [
            "node",
            str(node_modules / "snarkjs" / "cli.js"),
            "groth16",
            "verify",
            str(query_keys.directory / "verification_key.json"),
            str(tmp_path / "public.json"),
            str(tmp_path / "proof.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "OK" in out.stdout, out.stdout + out.stderr


def test_keys_are_content_addressed(query_keys, tmp_path):
    import shutil

    from service.keys import load_keys

    copy = tmp_path / "keys"
    shutil.copytree(query_keys.directory, copy)
    assert load_keys(copy).metadata["vk_digest"] == query_keys.vk_digest
    data = bytearray((copy / "verification_key.json").read_bytes())
    data[-5] ^= 1
    (copy / "verification_key.json").write_bytes(bytes(data))
    with pytest.raises(InvalidEncoding, match="sha256"):
        load_keys(copy)
    transcript = json.loads((query_keys.directory / "transcript.json").read_text())
    assert [c["name"] for c in transcript["contributions"]] == ["zkelig-demo-regulator", "zkelig-demo-hospitals"]
    assert transcript["contributions"][-1]["after"] == query_keys.metadata["key_digest"]
