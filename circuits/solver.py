"""A compiled circuit's witness program packed into arrays for zkcore.kernels.witness, which runs
it (and checks the constraints its ops do not imply) ~20× faster than the Python replay: a
holder's witness at depth 20 is no longer mostly Python arithmetic on Poseidon's rounds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zkcore import field
from zkcore.kernels import witness as kw
from zkcore.params import R
from zkcore.poseidon_params import MAX_WIDTH, poseidon_params

_KINDS = {"mul": kw.MUL, "bits": kw.BITS, "inverse": kw.INVERSE, "is_zero": kw.IS_ZERO, "poseidon": kw.POSEIDON}


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
            assert params.full_rounds == kw.FULL_ROUNDS
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
        self.first_wire = 1 + circuit.cs.n_public + circuit.cs.n_private_inputs
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
        """Whether every op of the circuit's program is one the kernel runs."""
        return all(op.name in _KINDS and (op.fn is None) == (op.name == "mul") for op in circuit.api.program)

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
