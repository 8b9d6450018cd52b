"""The witness program run by zkcore.kernels.witness against its twin, the Python replay
(CompiledCircuit.solve and ConstraintSystem.check): wire for wire, and failing on the same
constraint with the same words."""

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import credentials as cr
from circuits.credential_query import credential_query_circuit
from circuits.dsl import Circuit, Public, Secret
from circuits.gadgets import poseidon
from circuits.requests import circuit_inputs, reimbursable
from zkcore.errors import Unsatisfied
from zkcore.merkle.poseidon_tree import PoseidonTree
from zkcore.params import R


def replayed(compiled, **values):
    """The Python replay's witness, or the Unsatisfied it raises."""
    witness = compiled.solve(**values)
    try:
        compiled.cs.check(witness, compiled.checked)
    except Unsatisfied as refused:
        return refused
    return witness


def interpreted(compiled, **values):
    assert compiled.interpreter is not None, "the kernel should run this circuit"
    try:
        return compiled.witness(**values)
    except Unsatisfied as refused:
        return refused


def same(a, b):
    if isinstance(a, Unsatisfied) or isinstance(b, Unsatisfied):
        return type(a) is type(b) and str(a) == str(b)
    return a == b


class EveryOp(Circuit):
    """bits, inverse, is_zero, mul and Poseidon of widths 2, 3 and 17 (one with a constant cell),
    with a result the verifier chooses: a witness can fail a checked constraint."""

    expected: Public
    a: Secret
    b: Secret
    xs: Secret[16]

    def define(self, api):
        small = api.less_than(self.a, self.b, 64)  # bits
        nonzero = api.sub(1, api.is_zero(self.a))  # inverse and is_zero
        mixed = api.mul(api.add(self.a, small), api.add(self.b, nonzero))
        hashed = poseidon(api, [mixed])
        hashed = poseidon(api, [hashed, 7])  # 7: a constant cell until the first linear layer
        api.assert_equal(poseidon(api, [hashed, *self.xs[1:]]), self.expected, "expected")


@pytest.fixture(scope="module")
def every_op():
    return EveryOp.compile()


def _every_op_values(compiled, a, b, seed):
    rng = random.Random(seed)
    values = dict(expected=0, a=a, b=b, xs=[rng.randrange(R) for _ in range(16)])
    witness = compiled.solve(**values)
    k = compiled.cs.names.index("expected")  # 0·0 = hash − expected: with expected = 0, C is the hash
    values["expected"] = compiled.cs.constraints[k][2].evaluate(witness)
    return values


@given(a=st.integers(0, (1 << 64) - 1), b=st.integers(0, (1 << 64) - 1), seed=st.integers(0, 1 << 30))
@settings(max_examples=25, deadline=None)
def test_every_op_matches_the_python_replay(every_op, a, b, seed):
    values = _every_op_values(every_op, a, b, seed)
    assert every_op.witness(**values) == replayed(every_op, **values)
    values["expected"] = (values["expected"] + 1) % R
    refused = interpreted(every_op, **values)
    assert isinstance(refused, Unsatisfied) and same(refused, replayed(every_op, **values))
    assert "(expected)" in str(refused)


def test_edge_values_match_the_python_replay(every_op):
    for a, b in ((0, 0), (0, 1), ((1 << 64) - 1, 0), (1, (1 << 64) - 1)):
        values = _every_op_values(every_op, a, b, a ^ b)
        assert same(interpreted(every_op, **values), replayed(every_op, **values))


def test_an_operand_too_wide_fails_where_the_replay_does(every_op):
    values = _every_op_values(every_op, 1 << 64, 3, 1)  # a does not fit the 64-bit comparison
    refused = interpreted(every_op, **values)
    assert isinstance(refused, Unsatisfied) and same(refused, replayed(every_op, **values))


def test_the_credential_query_circuit_matches_the_python_replay():
    compiled = credential_query_circuit(4)
    secret = cr.new_secret()
    values = {"plan": 9, "insured_from": dt.date(2026, 1, 1), "insured_until": dt.date(2026, 12, 31),
              "annual_cap_cents": 500_000, "region": 3}
    credential = cr.issue(cr.INSURANCE, "insurer-a", cr.id_commitment(secret), values, dt.date(2030, 1, 1))
    tree = PoseidonTree(4)
    tree.extend([11, 12, 13])
    path = tree.path(tree.append(credential.leaf))
    for cap, ok in ((120_000, True), (600_000, False)):  # a claim over the annual cap fails a query
        request = reimbursable([2, 9], cap, dt.date(2026, 6, 1), dt.date(2026, 11, 22), ["insurer-a"], "claims/2026")
        inputs = circuit_inputs(credential, secret, path, request)
        got, want = interpreted(compiled, **inputs), replayed(compiled, **inputs)
        assert same(got, want) and isinstance(got, list) is ok


class Constants(Circuit):
    """Poseidon with every input a constant, constants around a wire, and a 252-bit range check."""

    out: Public
    x: Secret

    def define(self, api):
        fixed = poseidon(api, [3, 4])  # a constant in the circuit: no wires
        mixed = poseidon(api, [5, self.x, 6])
        api.range_check(self.x, 252)
        api.assert_equal(api.add(fixed, mixed), self.out, "out")


def test_constant_cells_and_wide_bit_decompositions_match_the_python_replay():
    compiled = Constants.compile()
    for x in (0, 1, (1 << 252) - 1, 1 << 252, R - 1):  # the last two fail the range check
        values = dict(out=0, x=x)
        k = compiled.cs.names.index("out")
        values["out"] = compiled.cs.constraints[k][2].evaluate(compiled.solve(**values))
        got, want = interpreted(compiled, **values), replayed(compiled, **values)
        assert same(got, want) and isinstance(got, list) is (x < 1 << 252)


def test_a_users_hint_named_like_a_kernel_op_is_replayed_in_python():
    # the kernel would compute its own inverse, bits or Poseidon, not the user's function
    def inverse(x):
        return 2 * x % R

    def poseidon(x):  # noqa: F811 (a hint that merely shares the gadget's name)
        return x + 1

    class Named(Circuit):
        out: Public
        x: Secret

        def define(self, api):
            doubled, bumped = api.hint(inverse, self.x), api.hint(poseidon, self.x)
            api.assert_equal(doubled, api.add(self.x, self.x), "doubles")
            api.assert_equal(bumped, api.add(self.x, 1), "bumps")
            api.assert_equal(doubled, self.out, "out")

    compiled = Named.compile()
    assert compiled.interpreter is None
    assert compiled.witness(out=84, x=42)[1:] == [84, 42, 84, 43]


def test_a_hint_the_kernel_does_not_know_is_replayed_in_python():
    class Halves(Circuit):
        out: Public
        x: Secret

        def define(self, api):
            half = api.hint(lambda x: x * pow(2, -1, R) % R, self.x)
            api.assert_equal(api.add(half, half), self.x, "halves")
            api.assert_equal(half, self.out, "out")

    compiled = Halves.compile()
    assert compiled.interpreter is None
    assert compiled.witness(out=21, x=42)[1:] == [21, 42, 21]
    with pytest.raises(Unsatisfied, match="out"):
        compiled.witness(out=20, x=42)
