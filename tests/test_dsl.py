"""The circuit DSL and R1CS: gadgets at their boundaries, range checks, tampered witnesses."""

import pytest

from circuits.dsl import Circuit, Public, Secret
from zkcore.errors import InvalidEncoding, Unsatisfied
from zkcore.params import R

U64 = (1 << 64) - 1


class AgeAtLeast(Circuit):
    """Proves birthdate <= cutoff without revealing birthdate."""

    cutoff: Public
    birthdate: Secret

    def define(self, api):
        api.assert_le(self.birthdate, self.cutoff, bits=64)


class Gadgets(Circuit):
    """Exposes each gadget's output as a public input the witness must match."""

    lt: Public
    eq: Public
    zero: Public
    chosen: Public
    a: Secret
    b: Secret
    cond: Secret

    def define(self, api):
        api.assert_equal(api.less_than(self.a, self.b, 64), self.lt)
        api.assert_equal(api.is_equal(self.a, self.b), self.eq)
        api.assert_equal(api.is_zero(self.a), self.zero)
        api.assert_equal(api.select(self.cond, self.a, self.b), self.chosen)


class Product(Circuit):
    out: Public
    xs: Secret[3]

    def define(self, api):
        acc = api.constant(1)
        for x in self.xs:
            acc = api.mul(acc, x)
        api.assert_equal(acc, self.out, "product")


@pytest.fixture(scope="module")
def age():
    return AgeAtLeast.compile()


@pytest.mark.parametrize(
    "birthdate, cutoff, ok",
    [(100, 100, True), (101, 100, False), (99, 100, True), (0, 0, True), (0, U64, True), (U64, U64, True),
     (U64, U64 - 1, False), (1, 0, False)],
)
def test_assert_le_both_outcomes_at_boundaries(age, birthdate, cutoff, ok):
    if ok:
        w = age.witness(cutoff=cutoff, birthdate=birthdate)
        assert age.public_inputs(w) == [cutoff]
    else:
        with pytest.raises(Unsatisfied, match="assert_le"):
            age.witness(cutoff=cutoff, birthdate=birthdate)


@pytest.mark.parametrize("birthdate, cutoff", [(1 << 64, 1 << 64), (R - 1, 5), (5, 1 << 64), (R - 5, R - 1)])
def test_operands_beyond_the_bit_width_are_refused(age, birthdate, cutoff):
    # circomlib's LessThan(n) would accept some of these: its inputs are not range-checked.
    with pytest.raises(Unsatisfied):
        age.witness(cutoff=cutoff, birthdate=birthdate)


def test_forged_wrapped_difference_cannot_satisfy(age):
    # A prover claiming birthdate = cutoff + 1 would need b − a = −1 ≡ r − 1 to have 64 bits:
    # take an honest witness and rewrite every bit wire to the values a cheater would want.
    honest = age.witness(cutoff=100, birthdate=100)
    cheat = list(honest)
    cheat[2] = 101
    assert age.cs.first_unsatisfied(cheat) is not None


def test_every_single_wire_tampering_is_caught(age):
    honest = age.witness(cutoff=1000, birthdate=777)
    for wire in range(1, len(honest)):
        tampered = list(honest)
        tampered[wire] = (tampered[wire] + 1) % R
        with pytest.raises(Unsatisfied):
            age.cs.check(tampered)


@pytest.mark.parametrize("a, b", [(5, 7), (7, 5), (6, 6), (0, 0), (0, U64), (U64, 0), (U64, U64)])
@pytest.mark.parametrize("cond", [0, 1])
def test_gadget_outputs_both_ways(a, b, cond):
    compiled = Gadgets.compile()
    expected = dict(lt=int(a < b), eq=int(a == b), zero=int(a == 0), chosen=a if cond else b)
    compiled.witness(a=a, b=b, cond=cond, **expected)
    for key in expected:
        wrong = dict(expected)
        wrong[key] = (expected[key] + 1) % R if key == "chosen" else 1 - expected[key]
        with pytest.raises(Unsatisfied):
            compiled.witness(a=a, b=b, cond=cond, **wrong)


def test_select_refuses_a_non_boolean_condition():
    compiled = Gadgets.compile()
    with pytest.raises(Unsatisfied, match="condition is 0 or 1"):
        compiled.witness(a=1, b=2, cond=2, lt=1, eq=0, zero=0, chosen=2 + 2 * (1 - 2))


def test_arrays_mul_and_unsatisfied_names_the_constraint():
    compiled = Product.compile()
    assert compiled.n_constraints == 3  # 1·x0 is folded; x0·x1, ·x2, and the equality
    w = compiled.witness(out=30, xs=[2, 3, 5])
    assert compiled.public_inputs(w) == [30]
    with pytest.raises(Unsatisfied, match=r"constraint #\d+ \(product\)"):
        compiled.witness(out=31, xs=[2, 3, 5])


def test_input_validation():
    compiled = Product.compile()
    with pytest.raises(InvalidEncoding):
        compiled.witness(out=30, xs=[2, 3])
    with pytest.raises(InvalidEncoding):
        compiled.witness(out=30)
    with pytest.raises(InvalidEncoding):
        compiled.witness(out=R, xs=[1, 1, 1])
    with pytest.raises(InvalidEncoding):
        compiled.witness(out=1, xs=[1, 1, 1], extra=3)


def test_age_circuit_size():
    # three 64-bit range checks: 3 × (64 booleanity + 1 recomposition)
    assert AgeAtLeast.compile().n_constraints == 195
