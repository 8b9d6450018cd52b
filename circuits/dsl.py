"""A small circuit DSL: declare Public and Secret inputs, state the relation in `define(api)`.

    class AgeAtLeast(Circuit):
        cutoff: Public
        birthdate: Secret

        def define(self, api):
            api.assert_le(self.birthdate, self.cutoff, bits=64)

`define` runs once, at compile time, and records how each new wire's value follows from earlier
ones; a witness is then the inputs followed by that recorded program, replayed, so the constraint
structure cannot depend on values. Hints compute witness values a constraint must then pin;
comparisons range-check their own operands, unlike circomlib's LessThan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from zkcore.errors import InvalidEncoding
from zkcore.params import R
from zkcore.r1cs import ConstraintSystem, LinearCombination

Value = LinearCombination
MAX_COMPARISON_BITS = 252  # r > 2^253: a difference of two 252-bit values cannot wrap


class Public:
    """Annotation for a public input; `Public[n]` for a list of n."""

    def __class_getitem__(cls, n: int):
        return ("public", n)


class Secret:
    """Annotation for a private input; `Secret[n]` for a list of n."""

    def __class_getitem__(cls, n: int):
        return ("secret", n)


def _inputs(circuit_cls) -> list[tuple[str, str, int | None]]:
    out = []
    for name, kind in circuit_cls.__annotations__.items():
        if kind is Public or kind == "Public":
            out.append((name, "public", None))
        elif kind is Secret or kind == "Secret":
            out.append((name, "secret", None))
        elif isinstance(kind, tuple):
            out.append((name, kind[0], kind[1]))
    return out


class API:
    """What `define` builds with. Values are linear combinations of wires."""

    def __init__(self, cs: ConstraintSystem):
        self.cs = cs
        self.program: list[Callable[[], int] | None] = []  # computes wire n_inputs + 1 + k
        self.products: set[int] = set()  # constraints out = a·b whose out the program computes as a·b
        self.witness: list[int] | None = None  # set while the program replays

    # --- values ---

    def value(self, x: Value | int) -> int:
        """The witness value of x (only while generating a witness)."""
        if self.witness is None:
            raise RuntimeError("values exist only during witness generation")
        return LinearCombination.of(x).evaluate(self.witness)

    def _new(self, compute: Callable[[], int] | None) -> Value:
        index = self.cs.new_wire()
        self.program.append(compute)
        return LinearCombination.wire(index)

    def constant(self, v: int) -> Value:
        return LinearCombination.constant(v)

    def add(self, a, b) -> Value:
        return LinearCombination.of(a) + b

    def sub(self, a, b) -> Value:
        return LinearCombination.of(a) - b

    def mul(self, a, b, name: str = "mul") -> Value:
        a, b = LinearCombination.of(a), LinearCombination.of(b)
        for x, y in ((a, b), (b, a)):
            k = x.constant_value()
            if k is not None:
                return y * k
        out = self._new(lambda: self.value(a) * self.value(b))
        self.products.add(len(self.cs.constraints))
        self.cs.add(a, b, out, name)
        return out

    def hint(self, fn: Callable[..., int], *inputs) -> Value:
        """A new wire whose value fn(values of inputs) computes; it means nothing until constrained."""
        return self._new(lambda: fn(*(self.value(x) for x in inputs)))

    # --- assertions ---

    def assert_equal(self, a, b, name: str = "assert_equal") -> None:
        self.cs.add(LinearCombination.of(a) - b, 1, 0, name)

    def assert_bool(self, a, name: str = "assert_bool") -> None:
        a = LinearCombination.of(a)
        self.cs.add(a, a - 1, 0, name)

    def to_bits(self, x, n: int, name: str = "to_bits") -> list[Value]:
        """The n low bits of x, little-endian, and a proof that x < 2^n."""
        if not 1 <= n <= MAX_COMPARISON_BITS:
            raise ValueError(f"bit width must be in 1..{MAX_COMPARISON_BITS}")
        x = LinearCombination.of(x)
        bits = [self.hint(lambda v, i=i: (v >> i) & 1, x) for i in range(n)]
        for i, b in enumerate(bits):
            self.assert_bool(b, f"{name}: bit {i} is 0 or 1")
        self.assert_equal(sum((b * (1 << i) for i, b in enumerate(bits)), LinearCombination()), x, f"{name}: bits recompose x")
        return bits

    def range_check(self, x, n: int, name: str = "range_check") -> None:
        self.to_bits(x, n, name)

    def is_zero(self, x, name: str = "is_zero") -> Value:
        """1 if x = 0 else 0: out = 1 − x·inv with x·out = 0 (inv is a hint both constraints pin)."""
        x = LinearCombination.of(x)
        inv = self.hint(lambda v: pow(v, -1, R) if v else 0, x)
        out = self._new(lambda: 1 if self.value(x) == 0 else 0)
        self.cs.add(x, inv, 1 - out, f"{name}: x·inv = 1 − out")
        self.cs.add(x, out, 0, f"{name}: x·out = 0")
        return out

    def is_equal(self, a, b, name: str = "is_equal") -> Value:
        return self.is_zero(LinearCombination.of(a) - b, name)

    def select(self, cond, a, b, name: str = "select") -> Value:
        """a if cond else b; cond is asserted boolean."""
        self.assert_bool(cond, f"{name}: condition is 0 or 1")
        return LinearCombination.of(b) + self.mul(cond, LinearCombination.of(a) - b, name)

    def less_than(self, a, b, bits: int, name: str = "less_than") -> Value:
        """1 if a < b else 0, for a and b range-checked to `bits` bits here."""
        self.range_check(a, bits, f"{name}: a fits")
        self.range_check(b, bits, f"{name}: b fits")
        # a − b + 2^bits lies in [1, 2^(bits+1)); its top bit is 1 exactly when a ≥ b.
        diff_bits = self.to_bits(LinearCombination.of(a) - b + (1 << bits), bits + 1, f"{name}: a − b + 2^bits")
        return 1 - diff_bits[bits]

    def assert_le(self, a, b, bits: int, name: str = "assert_le") -> None:
        """a ≤ b, with a and b range-checked to `bits` bits."""
        self.range_check(a, bits, f"{name}: a fits")
        self.range_check(b, bits, f"{name}: b fits")
        self.range_check(LinearCombination.of(b) - a, bits, f"{name}: b − a ≥ 0")

    def assert_lt(self, a, b, bits: int, name: str = "assert_lt") -> None:
        self.assert_equal(self.less_than(a, b, bits, name), 1, f"{name}: a < b")

    def assert_ge(self, a, b, bits: int, name: str = "assert_ge") -> None:
        self.assert_le(b, a, bits, name)

    def assert_gt(self, a, b, bits: int, name: str = "assert_gt") -> None:
        self.assert_lt(b, a, bits, name)


@dataclass(frozen=True)
class CompiledCircuit:
    circuit: type
    cs: ConstraintSystem
    inputs: list[tuple[str, str, int | None]]
    api: API
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def n_constraints(self) -> int:
        return len(self.cs.constraints)

    def witness(self, **values) -> list[int]:
        """The full witness for named input values; raises Unsatisfied naming a failing constraint."""
        witness = self.solve(**values)
        self.cs.check(witness, self.checked)
        return witness

    @cached_property
    def checked(self) -> list[int]:
        """The constraints a replayed witness could fail: all but products the program computes."""
        return [k for k in range(self.n_constraints) if k not in self.api.products]

    def solve(self, **values) -> list[int]:
        """Every wire's value as the recorded program computes it, unchecked (tests forge from this)."""
        witness = [1]
        _bind(self.circuit, self.inputs, ConstraintSystem(), witness, values)
        with self.lock:  # the recorded closures read the witness through the one shared API
            self.api.witness = witness
            try:
                for compute in self.api.program:
                    witness.append(compute() % R if compute else 0)
            finally:
                self.api.witness = None
        return witness

    def public_inputs(self, witness: Sequence[int]) -> list[int]:
        return list(witness[1 : self.cs.n_public + 1])


def _bind(circuit_cls, inputs, cs: ConstraintSystem, witness: list[int] | None, values: dict | None):
    """Allocate input wires (public first, then secret) and set them as attributes."""
    instance = circuit_cls.__new__(circuit_cls)
    if values is not None:
        unknown = set(values) - {name for name, _, _ in inputs}
        missing = {name for name, _, _ in inputs} - set(values)
        if unknown or missing:
            raise InvalidEncoding(f"inputs: missing {sorted(missing)}, unknown {sorted(unknown)}")
    for wanted in ("public", "secret"):
        for name, kind, n in inputs:
            if kind != wanted:
                continue
            supplied = None if values is None else values[name]
            items = [supplied] if n is None else (supplied if supplied is not None else [None] * n)
            if values is not None and n is not None and (not isinstance(supplied, (list, tuple)) or len(supplied) != n):
                raise InvalidEncoding(f"input {name} must be a list of {n} values")
            wires = []
            for v in items:
                index = cs.new_wire()
                if witness is not None:
                    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < R:
                        raise InvalidEncoding(f"input {name} must be integers in [0, r)")
                    witness.append(v)
                wires.append(LinearCombination.wire(index))
            setattr(instance, name, wires[0] if n is None else wires)
        if wanted == "public":
            cs.n_public = cs.n_wires - 1
        else:
            cs.n_private_inputs = cs.n_wires - 1 - cs.n_public
    return instance


class Circuit:
    """Base class: annotate inputs with Public / Secret, implement define(api)."""

    def define(self, api: API) -> None:
        raise NotImplementedError

    @classmethod
    def compile(cls) -> CompiledCircuit:
        cs = ConstraintSystem()
        inputs = _inputs(cls)
        instance = _bind(cls, inputs, cs, None, None)
        api = API(cs)
        instance.define(api)
        return CompiledCircuit(cls, cs, inputs, api)
