"""The DSL's witness program: string annotations (this module has `from __future__ import annotations`,
as every circuits/ module does), structured ops, implied constraints, and the exported file."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from circuits import credentials as cr
from circuits import witness_program as wp
from circuits.credential_query import PUBLIC_INPUTS, CredentialQuery, Op, Query, credential_query_circuit
from circuits.dsl import Circuit, Public, Secret, inverse_hint
from circuits.requests import ProofRequest, circuit_inputs
from zkcore.errors import InvalidEncoding, Unsatisfied
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.params import R
from zkcore.poseidon import poseidon


class Sum(Circuit):
    """total = Σ xs, with the list's length a class attribute that subclasses override."""

    n = 4
    total: Public
    xs: Secret[n]
    labels: Public[n - 2]

    def define(self, api):
        api.assert_equal(sum(self.xs, api.constant(0)), self.total, "sum")
        for label in self.labels:
            api.assert_bool(label, "label is a bit")


class BiggerSum(Sum):
    n = 6


def test_string_annotations_declare_inputs():
    compiled = Sum.compile()
    assert compiled.inputs == [("total", "public", None), ("xs", "secret", 4), ("labels", "public", 2)]
    assert compiled.cs.n_public == 3
    w = compiled.witness(total=10, xs=[1, 2, 3, 4], labels=[0, 1])
    assert compiled.public_inputs(w) == [10, 0, 1]
    with pytest.raises(Unsatisfied, match=r"\(sum\)"):
        compiled.witness(total=11, xs=[1, 2, 3, 4], labels=[0, 1])
    with pytest.raises(InvalidEncoding, match="list of 4"):
        compiled.witness(total=10, xs=[1, 2, 3], labels=[0, 1])


def test_subclasses_size_their_lists_from_their_own_attributes():
    compiled = BiggerSum.compile()
    assert compiled.inputs == [("total", "public", None), ("xs", "secret", 6), ("labels", "public", 4)]
    compiled.witness(total=6, xs=[1] * 6, labels=[1, 0, 1, 0])


def test_an_annotation_that_cannot_be_evaluated_is_an_error_not_a_skip():
    class Broken(Circuit):
        xs: Secret[undefined_size]  # noqa: F821

        def define(self, api):
            pass

    with pytest.raises(TypeError, match="Broken.xs"):
        Broken.compile()

    class Empty(Circuit):
        xs: Secret[0]

    with pytest.raises(TypeError, match="positive length"):
        Empty.compile()


def test_the_credential_circuit_is_a_circuit_subclass_with_its_public_inputs_in_order():
    assert issubclass(CredentialQuery, Circuit)
    compiled = credential_query_circuit(2, 1, 2)
    assert [name for name, kind, _ in compiled.inputs if kind == "public"] == list(PUBLIC_INPUTS)
    sizes = {name: n for name, _, n in compiled.inputs}
    assert sizes["siblings"] == sizes["index_bits"] == 2 and sizes["values"] == 2 and sizes["slots"] == 8


class Hinted(Circuit):
    out: Public
    x: Secret

    def define(self, api):
        inv = api.hint(inverse_hint, self.x)  # a registered portable hint
        api.assert_equal(api.mul(self.x, inv), 1, "x is invertible")
        api.assert_equal(self.x, self.out, "out")


def test_portable_hints_are_named_and_others_are_not_exportable():
    compiled = Hinted.compile()
    assert [op.name for op in compiled.api.program] == ["inverse", "mul"]
    assert compiled.witness(out=5, x=5)[3] == pow(5, -1, R)
    assert json.loads(wp.program_bytes(compiled, "hinted"))["ops"][0][0] == "inverse"

    def double_hint(v):
        return 2 * v

    class Custom(Circuit):
        y: Public
        x: Secret

        def define(self, api):
            api.assert_equal(api.hint(double_hint, self.x), self.y, "y = 2x")

    custom = Custom.compile()
    assert custom.witness(y=6, x=3)[-1] == 6  # runs in Python
    with pytest.raises(ValueError, match="double_hint has no JavaScript twin"):
        wp.program_bytes(custom, "custom")


def test_the_replayed_witness_satisfies_every_constraint_including_implied_ones():
    # witness() checks only the constraints the ops do not imply; this checks all of them, so a
    # Poseidon or bits op that computed a wrong wire could not hide behind the implication
    circuit = credential_query_circuit(3)
    secret = random.randrange(1, R)
    credential = cr.issue(cr.PERSON, "r", cr.id_commitment(secret), {"birthdate": dt.date(1990, 1, 1), "country": 7},
                          dt.date(2030, 1, 1))
    tree = PoseidonTree(3)
    index = tree.append(credential.leaf)
    request = ProofRequest.new(cr.PERSON, ["r"], [Query(1, Op.IN, (5, 7)), Query(0, Op.GT, (3,))], "s",
                               dt.date(2026, 11, 30))
    w = circuit.witness(**circuit_inputs(credential, secret, tree.path(index), request))
    circuit.cs.check(w)
    assert len(circuit.checked) < 100 < circuit.n_constraints  # the checks a phone runs are few
    assert w[1] == cr.nullifier(secret, cr.scope_id("s")) and w[2] == tree.root
    assert poseidon([secret]) == cr.id_commitment(secret)


def test_exported_program_is_deterministic_documented_and_compact():
    circuit = credential_query_circuit(3)
    files = wp.export(circuit, "credential-query-d3-q4-m8")
    assert files == wp.export(circuit, "credential-query-d3-q4-m8")
    program = json.loads(files[wp.PROGRAM_FILE])
    assert program["format"] == wp.FORMAT and program["version"] == 2
    assert program["wires"] == circuit.cs.n_wires and program["public"] == 7
    assert {op[0] for op in program["ops"]} == {"mul", "bits", "inverse", "is_zero", "poseidon"}
    assert sum(op[1] for op in program["ops"]) + 1 + sum(n or 1 for _, _, n in program["inputs"]) == program["wires"]
    assert [c[0] for c in program["checks"]] == circuit.checked
    # Poseidon(1), Merkle Poseidon(2), the leaf's 12 words, the queries sponge of 36 words: 16, 1 + 15, 1 + 5
    assert set(json.loads(files[wp.CONSTANTS_FILE])["widths"]) == {"2", "3", "7", "13", "17"}
    assert len(files[wp.PROGRAM_FILE]) < 100_000


def test_keys_get_their_witness_program_without_a_new_setup(tmp_path):
    import hashlib

    from service.keys import ensure_keys, generate_keys, load_keys

    directory = tmp_path / "credential-query-d3-q1-m2"
    before = generate_keys(directory, 3, 1, 2, contributors=())
    assert wp.PROGRAM_FILE not in before.metadata["files"]  # as keys made before the program existed
    after = ensure_keys(tmp_path, 3, 1, 2)
    assert after.metadata["key_digest"] == before.metadata["key_digest"]
    for name in wp.ARTIFACT_FILES:
        data = (directory / name).read_bytes()
        assert after.metadata["files"][name] == hashlib.sha256(data).hexdigest()
    assert load_keys(directory).metadata == after.metadata
    (directory / wp.PROGRAM_FILE).write_bytes(b"{}")  # a damaged copy is rewritten, not trusted
    again = ensure_keys(tmp_path, 3, 1, 2)
    assert again.metadata == after.metadata
    rewritten = (directory / wp.PROGRAM_FILE).read_bytes()
    assert hashlib.sha256(rewritten).hexdigest() == after.metadata["files"][wp.PROGRAM_FILE]
