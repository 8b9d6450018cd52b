"""A small circuit DSL: declare Public and Secret inputs, state the relation in `define(api)`.

    class AgeAtLeast(Circuit):
        cutoff: Public
        birthdate: Secret

        def define(self, api):
            api.assert_le(self.birthdate, self.cutoff, bits=64)

`define` runs once, at compile time, and records a *witness program*: structured operations, each
computing the next run of wires from linear combinations of earlier ones. A witness is the inputs
followed by that program, replayed, so the constraint structure cannot depend on values.

Operations (`Op`): `mul` (one wire, a·b) and named hints (`bits`, `inverse`, `is_zero`, and fused
gadgets such as `poseidon`, which computes every wire of one permutation at once). Hint functions
are named `*_hint`; a hint means nothing until a constraint pins it. Hints registered with
`portable_hint` have a JavaScript twin (service/web/wallet/witness.js), so the program can be
exported (circuits/witness_program.py) and run on a phone; `api.hint(fn, ...)` with any other
function works in Python only. Comparisons range-check their own operands, unlike circomlib's
LessThan.

Inputs are annotated `Public` / `Secret` (or `Public[n]` / `Secret[n]` for lists). Under
`from __future__ import annotations` the annotations are strings; they are evaluated in the
circuit's module with the class's attributes in scope, so `siblings: Secret[depth]` reads a
class attribute `depth` (subclasses that override it get lists of their own size).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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


def _annotation(circuit_cls, owner: type, name: str, kind) -> tuple[str, int | None] | None:
    """('public' | 'secret', list length or None) for an input annotation, None for any other."""
    if isinstance(kind, str):
        scope = {k: getattr(circuit_cls, k) for k in dir(circuit_cls) if not k.startswith("__")}
        try:
            kind = eval(kind, vars(sys.modules[owner.__module__]), scope)  # noqa: S307 (the class's own source)
        except Exception as e:
            if "Public" in kind or "Secret" in kind:
                raise TypeError(f"{circuit_cls.__name__}.{name}: cannot evaluate annotation {kind!r} ({e})") from None
            return None
    if kind is Public or kind is Secret:
        return (kind.__name__.lower(), None)
    if isinstance(kind, tuple) and len(kind) == 2 and kind[0] in ("public", "secret"):
        n = kind[1]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise TypeError(f"{circuit_cls.__name__}.{name}: a list input needs a positive length, got {n!r}")
        return kind
    return None


def _inputs(circuit_cls) -> list[tuple[str, str, int | None]]:
    """Input annotations of the class and its bases, base classes first, in declaration order."""
    out: dict[str, tuple[str, str, int | None]] = {}
    for owner in reversed(circuit_cls.__mro__):
        for name, kind in vars(owner).get("__annotations__", {}).items():
            found = _annotation(circuit_cls, owner, name, kind)
            if found is not None:
                out[name] = (name, *found)
    return list(out.values())


# --- the witness program ---


def _frozen(lc: LinearCombination) -> tuple[tuple[int, int], ...]:
    return tuple(sorted(lc.terms.items()))


def _evaluate(terms: tuple[tuple[int, int], ...], witness: Sequence[int]) -> int:
    return sum(c * witness[w] for w, c in terms) % R


@dataclass(frozen=True, slots=True)
class Op:
    """Compute the next `n_out` wires: `name` applied to the values of `inputs` (and `params`).

    `mul` is a·b of its two inputs; every other name is a hint function (`fn`). `portable`: the
    JavaScript interpreter knows this name, so the op can be exported.
    """

    name: str
    inputs: tuple[tuple[tuple[int, int], ...], ...]  # linear combinations as sorted (wire, coefficient)
    params: tuple[int, ...]
    n_out: int
    fn: Callable[..., list[int]] | None = None
    portable: bool = True

    def run(self, witness: Sequence[int]) -> list[int]:
        if self.fn is None:  # mul: by far the most common op, kept free of calls
            a, b = self.inputs
            return [_evaluate(a, witness) * _evaluate(b, witness) % R]
        out = self.fn([_evaluate(x, witness) for x in self.inputs], *self.params)
        if len(out) != self.n_out:
            raise RuntimeError(f"hint {self.name} computed {len(out)} wires, the circuit has {self.n_out}")
        return [v % R for v in out]


PORTABLE_HINTS: dict[str, Callable[..., list[int]]] = {}


def portable_hint(name: str):
    """Register fn(values, *params) -> list of wire values under `name`, which witness.js implements too."""

    def register(fn):
        if name in PORTABLE_HINTS and PORTABLE_HINTS[name] is not fn:
            raise ValueError(f"a portable hint is already named {name}")
        PORTABLE_HINTS[name] = fn
        return fn

    return register


@portable_hint("bits")
def bits_hint(values: Sequence[int], n: int) -> list[int]:
    """The n low bits of the value, little-endian (the recomposition constraint pins them)."""
    return [(values[0] >> i) & 1 for i in range(n)]


@portable_hint("inverse")
def inverse_hint(values: Sequence[int]) -> list[int]:
    """1/x, or 0 for x = 0."""
    return [pow(values[0], -1, R) if values[0] else 0]


@portable_hint("is_zero")
def is_zero_hint(values: Sequence[int]) -> list[int]:
    return [1 if values[0] == 0 else 0]


class API:
    """What `define` builds with. Values are linear combinations of wires."""

    def __init__(self, cs: ConstraintSystem):
        self.cs = cs
        self.program: list[Op] = []  # run in order, they compute wires n_inputs + 1 onwards
        # constraints that hold whenever the program computed their wires (a product's out = a·b, a bit
        # of the bits hint is 0 or 1, ...): replaying a witness needs not check them
        self.implied: set[int] = set()
        self._fusing = False

    def _record(self, name: str, inputs: Sequence, params: tuple[int, ...], n_out: int,
                fn: Callable[..., list[int]] | None, portable: bool = True) -> list[Value]:
        if self._fusing:
            raise RuntimeError("a fused gadget computes its wires itself: no hint inside it")
        first = self.cs.n_wires
        for _ in range(n_out):
            self.cs.new_wire()
        self.program.append(Op(name, tuple(_frozen(LinearCombination.of(x)) for x in inputs), params, n_out, fn,
                               portable))
        return [LinearCombination.wire(first + i) for i in range(n_out)]

    def _implied(self, a, b, c, name: str) -> None:
        self.implied.add(len(self.cs.constraints))
        self.cs.add(a, b, c, name)

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
        if self._fusing:
            out = LinearCombination.wire(self.cs.new_wire())
        else:
            (out,) = self._record("mul", (a, b), (), 1, None)
        self._implied(a, b, out, name)
        return out

    def as_wire(self, x, name: str) -> Value:
        """x itself as one wire (a constant stays a constant): the linear constraint 0·0 = x − wire
        keeps x in C, where a zkey stores no coefficients. Inside a fused gadget only."""
        x = LinearCombination.of(x)
        if x.constant_value() is not None:
            return x
        if not self._fusing:
            raise RuntimeError("as_wire outside a fused gadget would need a hint: use one")
        out = LinearCombination.wire(self.cs.new_wire())
        self._implied(0, 0, x - out, name)
        return out

    def hint(self, fn: Callable[..., int], *inputs) -> Value:
        """A new wire whose value fn(values of inputs) computes; it means nothing until constrained.

        A portable hint (registered with `portable_hint`, signature fn(values) -> [value]) can be
        exported; any other function works in Python only."""
        portable = next((name for name, registered in PORTABLE_HINTS.items() if registered is fn), None)
        if portable is not None:
            return self._record(portable, inputs, (), 1, fn)[0]
        return self._record(getattr(fn, "__name__", "hint"), inputs, (), 1, lambda values: [fn(*values)], False)[0]

    @contextmanager
    def fused(self, name: str, inputs: Sequence, params: tuple[int, ...] = ()) -> Iterator[None]:
        """Record the wires a gadget allocates inside this block as one portable hint `name`.

        Inside, `mul` allocates its wire without an op; PORTABLE_HINTS[name](values of inputs, *params)
        must compute exactly those wires, in allocation order (checked at every replay)."""
        if self._fusing:
            raise RuntimeError("fused gadgets do not nest")
        first, n_ops = self.cs.n_wires, len(self.program)
        self._fusing = True
        try:
            yield
        finally:
            self._fusing = False
        if len(self.program) != n_ops:
            raise RuntimeError(f"{name}: no op may be recorded inside a fused gadget")
        fn = PORTABLE_HINTS[name]
        self.program.append(Op(name, tuple(_frozen(LinearCombination.of(x)) for x in inputs), params,
                               self.cs.n_wires - first, fn))

    # --- assertions ---

    def assert_equal(self, a, b, name: str = "assert_equal") -> None:
        # 0·0 = a − b: a linear constraint keeps its terms in C, which costs a zkey nothing
        self.cs.add(0, 0, LinearCombination.of(a) - b, name)

    def assert_bool(self, a, name: str = "assert_bool") -> None:
        a = LinearCombination.of(a)
        self.cs.add(a, a - 1, 0, name)

    def to_bits(self, x, n: int, name: str = "to_bits") -> list[Value]:
        """The n low bits of x, little-endian, and a proof that x < 2^n."""
        if not 1 <= n <= MAX_COMPARISON_BITS:
            raise ValueError(f"bit width must be in 1..{MAX_COMPARISON_BITS}")
        x = LinearCombination.of(x)
        bits = self._record("bits", (x,), (n,), n, bits_hint)
        for i, b in enumerate(bits):
            self._implied(b, b - 1, 0, f"{name}: bit {i} is 0 or 1")
        self.assert_equal(sum((b * (1 << i) for i, b in enumerate(bits)), LinearCombination()), x,
                          f"{name}: bits recompose x")
        return bits

    def range_check(self, x, n: int, name: str = "range_check") -> None:
        self.to_bits(x, n, name)

    def is_zero(self, x, name: str = "is_zero") -> Value:
        """1 if x = 0 else 0: out = 1 − x·inv with x·out = 0 (inv is a hint both constraints pin)."""
        x = LinearCombination.of(x)
        (inv,) = self._record("inverse", (x,), (), 1, inverse_hint)
        (out,) = self._record("is_zero", (x,), (), 1, is_zero_hint)
        self._implied(x, inv, 1 - out, f"{name}: x·inv = 1 − out")
        self._implied(x, out, 0, f"{name}: x·out = 0")
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

    @property
    def n_constraints(self) -> int:
        return len(self.cs.constraints)

    def witness(self, **values) -> list[int]:
        """The full witness for named input values; raises Unsatisfied naming a failing constraint.
        Run by circuits.solver's kernel where it knows every op, else by the Python replay."""
        if self.interpreter is not None:
            return self.interpreter.witness(self._input_wires(values))
        witness = self.solve(**values)
        self.cs.check(witness, self.checked)
        return witness

    @cached_property
    def interpreter(self):
        from .solver import Interpreter  # numba loads only once a witness is computed

        return Interpreter(self) if Interpreter.covers(self) else None

    @cached_property
    def checked(self) -> list[int]:
        """The constraints a replayed witness could fail: all but those the program's ops imply."""
        return [k for k in range(self.n_constraints) if k not in self.api.implied]

    def solve(self, **values) -> list[int]:
        """Every wire's value as the recorded program computes it, unchecked (tests forge from this)."""
        witness = self._input_wires(values)
        for op in self.api.program:
            witness.extend(op.run(witness))
        return witness

    def _input_wires(self, values: dict) -> list[int]:
        """Wire 0 and the input wires, checked and in order."""
        witness = [1]
        _bind(self.circuit, self.inputs, ConstraintSystem(), witness, values)
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
