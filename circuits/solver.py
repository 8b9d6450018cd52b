"""A compiled circuit's witness program packed into arrays for zkcore.kernels.witness, which runs
it and checks the constraints its ops do not imply: at depth 20, 4 ms for what the Python replay
does in 31 ms (the whole witness, its wires turned into Python ints, 10 ms)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from zkcore import field
from zkcore.kernels import witness as kw
from zkcore.params import R
from zkcore.poseidon_params import MAX_WIDTH, MIN_WIDTH, poseidon_params

from .dsl import PORTABLE_HINTS

_KINDS = {"mul": kw.MUL, "bits": kw.BITS, "inverse": kw.INVERSE, "is_zero": kw.IS_ZERO, "poseidon": kw.POSEIDON}
_BITS_MAX = 256  # the kernel reads the four 64-bit limbs of the value


@cache
def _poseidon_wires(t: int, constant_mask: int, every: int) -> int:
    """How many wires the Poseidon op of width t computes: the registered hint's own count."""
    return len(PORTABLE_HINTS["poseidon"]([0] * (t - 1), constant_mask, every))


def _runs(op) -> bool:
    """Whether the kernel computes exactly the wires this op's Python function does: a product, or
    the registered portable hint of that name (a hint of the user's that only shares the name is
    not) with the parameters and wire count the kernel assumes."""
    if op.name == "mul":
        return op.fn is None and op.n_out == 1
    if op.name not in _KINDS or not op.portable or PORTABLE_HINTS.get(op.name) is not op.fn:
        return False
    if op.name == "bits":
        return (len(op.inputs) == 1 and len(op.params) == 1 and 0 <= op.params[0] <= _BITS_MAX
                and op.n_out == op.params[0])
    if op.name == "poseidon":
        t = len(op.inputs) + 1
        return (MIN_WIDTH <= t <= MAX_WIDTH and len(op.params) == 2 and op.params[1] >= 0
                and op.n_out == _poseidon_wires(t, *op.params))
    return len(op.inputs) == 1 and not op.params and op.n_out == 1


class _Combinations:
    """Linear combinations laid end to end: terms (wire, coefficient) and where each one starts."""

    def __init__(self):
        self.wires: list[int] = []
        self.coefficients: list[int] = []
        self.starts = [0]

    def add(self, terms) -> int:
        for wire, coefficient in terms:
            self.wires.append(wire)
            self.coefficients.append(coefficient)
        self.starts.append(len(self.wires))
        return len(self.starts) - 2


def _poseidon_tables(widths: set[int]) -> tuple[np.ndarray, ...]:
    """Round constants and matrices of the widths used, width t's rows from rc_at[t] and mds_at[t]."""
    rc, mds, rc_at, mds_at = [], [], [0], [0]
    for t in range(MAX_WIDTH + 1):
        if t in widths:
            params = poseidon_params(t)
            if params.full_rounds != kw.FULL_ROUNDS:
                raise ValueError(f"Poseidon width {t} has {params.full_rounds} full rounds, not {kw.FULL_ROUNDS}")
            rc += [c for row in params.round_constants for c in row]
            mds += [c for row in params.mds for c in row]
        rc_at.append(len(rc))
        mds_at.append(len(mds))
    return (_montgomery(rc), np.array(rc_at, dtype=np.int64), _montgomery(mds), np.array(mds_at, dtype=np.int64))


def _montgomery(values: list[int]) -> np.ndarray:
    return field.to_montgomery(field.ints_to_array(values), R) if values else np.zeros((0, 4), dtype=np.uint64)


class Interpreter:
    """circuit.api.program and the constraints it does not imply (circuit.checked), as arrays."""

    def __init__(self, circuit):
        program = circuit.api.program
        lcs = _Combinations()
        op_lc, params, widths = [], [], set()
        for op in program:
            op_lc.append(len(lcs.starts) - 1)
            for terms in op.inputs:
                lcs.add(terms)
            params.append((tuple(op.params) + (0, 0))[:2])
            if op.name == "poseidon":
                widths.add(len(op.inputs) + 1)
        op_lc.append(len(lcs.starts) - 1)
        checks = [[lcs.add(sorted(lc.terms.items())) for lc in circuit.cs.constraints[k]] for k in circuit.checked]
        self.n_wires = circuit.cs.n_wires
        self.checked = np.array(circuit.checked, dtype=np.int64)
        self.cs = circuit.cs
        self._program = (
            np.array([_KINDS[op.name] for op in program], dtype=np.int64),
            np.array([op.n_out for op in program], dtype=np.int64),
            np.array(params, dtype=np.int64).reshape(-1, 2),
            np.array(op_lc, dtype=np.int64),
        )
        self._terms = (np.array(lcs.starts, dtype=np.int64), np.array(lcs.wires, dtype=np.int64),
                       _montgomery(lcs.coefficients))
        self._checks = np.array(checks, dtype=np.int64).reshape(-1, 3)
        self._poseidon = _poseidon_tables(widths)

    @staticmethod
    def covers(circuit) -> bool:
        """Whether the kernel runs every op of the circuit's program as its Python twin would."""
        return all(_runs(op) for op in circuit.api.program)

    def witness(self, inputs: Sequence[int]) -> list[int]:
        """The full witness from wire 0 and the input wires; raises Unsatisfied as ConstraintSystem.check does."""
        values = np.zeros((self.n_wires, 4), dtype=np.uint64)
        values[: len(inputs)] = field.to_montgomery(field.ints_to_array(inputs), R)
        end = kw.run_program(values, len(inputs), *self._program, *self._terms, *self._poseidon)
        if end != self.n_wires:
            raise RuntimeError(f"the witness program computed up to wire {end}, the circuit has {self.n_wires}")
        failing = kw.first_unsatisfied(values, self._checks, *self._terms)
        if failing >= 0:
            raise self.cs.unsatisfied(int(self.checked[failing]))
        return field.array_to_ints(field.from_montgomery(values, R))
