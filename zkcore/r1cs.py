"""Rank-1 constraint systems over Fr: ⟨A_k, w⟩·⟨B_k, w⟩ = ⟨C_k, w⟩ for every constraint k.

Wire 0 is the constant 1, wires 1..ℓ the public inputs (snarkjs's order), then the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import Unsatisfied
from .params import R


class LinearCombination:
    """Σ coeff·wire, with constants on wire 0. Immutable; + − and scaling by constants."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[int, int] | None = None):
        self.terms = {w: c % R for w, c in (terms or {}).items() if c % R}

    @classmethod
    def constant(cls, value: int) -> LinearCombination:
        return cls({0: value})

    @classmethod
    def wire(cls, index: int) -> LinearCombination:
        return cls({index: 1})

    @staticmethod
    def of(x: LinearCombination | int) -> LinearCombination:
        if isinstance(x, LinearCombination):
            return x
        if isinstance(x, int) and not isinstance(x, bool):
            return LinearCombination.constant(x)
        raise TypeError(f"expected a circuit value or an int, got {type(x).__name__}")

    def __add__(self, other):
        out = dict(self.terms)
        for w, c in LinearCombination.of(other).terms.items():
            out[w] = out.get(w, 0) + c
        return LinearCombination(out)

    __radd__ = __add__

    def __neg__(self):
        return LinearCombination({w: -c for w, c in self.terms.items()})

    def __sub__(self, other):
        return self + (-LinearCombination.of(other))

    def __rsub__(self, other):
        return LinearCombination.of(other) - self

    def __mul__(self, k):
        if not isinstance(k, int) or isinstance(k, bool):
            return NotImplemented  # products of two values need a constraint: api.mul
        return LinearCombination({w: c * k for w, c in self.terms.items()})

    __rmul__ = __mul__

    def constant_value(self) -> int | None:
        """The value if this combination has no wire but the constant one."""
        return self.terms.get(0, 0) if set(self.terms) <= {0} else None

    def evaluate(self, witness: Sequence[int]) -> int:
        return sum(c * witness[w] for w, c in self.terms.items()) % R

    def __repr__(self):
        return " + ".join(f"{c}·w{w}" for w, c in sorted(self.terms.items())) or "0"


@dataclass
class ConstraintSystem:
    n_public: int = 0
    n_wires: int = 1  # wire 0 = 1
    n_private_inputs: int = 0  # secret input wires, which follow the public ones
    constraints: list[tuple[LinearCombination, LinearCombination, LinearCombination]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def new_wire(self) -> int:
        self.n_wires += 1
        return self.n_wires - 1

    def add(self, a, b, c, name: str) -> None:
        self.constraints.append((LinearCombination.of(a), LinearCombination.of(b), LinearCombination.of(c)))
        self.names.append(name)

    def first_unsatisfied(self, witness: Sequence[int], only: Sequence[int] | None = None) -> int | None:
        """The index of the first failing constraint (among `only`, if given), or None."""
        for k in range(len(self.constraints)) if only is None else only:
            a, b, c = self.constraints[k]
            if a.evaluate(witness) * b.evaluate(witness) % R != c.evaluate(witness):
                return k
        return None

    def check(self, witness: Sequence[int], only: Sequence[int] | None = None) -> None:
        """Raise Unsatisfied naming the first failing constraint (checking those in `only`, if given)."""
        if len(witness) != self.n_wires or witness[0] != 1:
            raise Unsatisfied(f"witness must have {self.n_wires} wires with wire 0 = 1")
        k = self.first_unsatisfied(witness, only)
        if k is not None:
            raise self.unsatisfied(k)

    def unsatisfied(self, k: int) -> Unsatisfied:
        """The error that names constraint k as failing."""
        return Unsatisfied(f"constraint #{k} ({self.names[k]}) is not satisfied")
