"""circomlib's Poseidon hash over the BN254 scalar field, identical to circomlibjs.

`poseidon(inputs)` hashes 1..16 field elements (state width t = len + 1, first word 0, output
word 0). `poseidon_ex(inputs, init_state, n_out)` is circomlibjs's extended call. `hash_pairs`
hashes many two-input pairs at once on both cores, for building Merkle trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from . import field
from .errors import InvalidEncoding
from .kernels import ifma, poseidon_ifma
from .kernels import poseidon as kpos
from .params import R
from .poseidon_params import MAX_WIDTH, sparse_poseidon

MAX_INPUTS = MAX_WIDTH - 1
_SERIAL_BELOW = 64
# Two-input hashes (Merkle trees) run eight at a time on AVX-512 IFMA where the CPU has it.
_PAIRS_ON_IFMA = ifma.available()


def _mont_array(values, shape) -> np.ndarray:
    return field.to_montgomery(field.ints_to_array(values), R).reshape(shape)


@cache
def _sparse_kernel_params(t: int):
    sp = sparse_poseidon(t)
    flat = lambda rows: [x for row in rows for x in row]  # noqa: E731
    return (
        _mont_array(flat(sp.full_constants), (-1, t, 4)),
        _mont_array(sp.partial_constants, (-1, 4)),
        _mont_array(flat(sp.sparse_first_row), (-1, t, 4)),
        _mont_array(flat(sp.sparse_column), (-1, t - 1, 4)),
        _mont_array(flat(sp.after_partial), (t - 1, t - 1, 4)),
        _mont_array(flat(sp.mds), (t, t, 4)),
    )


@cache
def _lane_kernel_constants() -> np.ndarray:
    return poseidon_ifma.constants(sparse_poseidon(3))


def _check_inputs(inputs: Sequence[int]) -> list[int]:
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise InvalidEncoding(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    return [field.check_scalar(x, "Poseidon input") for x in inputs]


def _run(rows: np.ndarray, init: np.ndarray, n_out: int) -> np.ndarray:
    t = rows.shape[1] + 1
    return kpos.hash_many(rows, init, *_sparse_kernel_params(t), n_out, rows.shape[0] >= _SERIAL_BELOW)


def poseidon_ex(inputs: Sequence[int], init_state: int = 0, n_out: int = 1) -> list[int]:
    """The first n_out words of the permuted state [init_state, *inputs]."""
    inputs = _check_inputs(inputs)
    field.check_scalar(init_state, "Poseidon initial state")
    if not 1 <= n_out <= len(inputs) + 1:
        raise InvalidEncoding(f"n_out must be in 1..{len(inputs) + 1}")
    out = _run(field.ints_to_array(inputs).reshape(1, -1, 4), field.ints_to_array([init_state]), n_out)
    return field.array_to_ints(out.reshape(-1, 4))


def poseidon(inputs: Sequence[int]) -> int:
    """Poseidon(inputs) as circomlib's Poseidon(n) template and circomlibjs compute it."""
    return poseidon_ex(inputs)[0]


def hash_rows(rows: np.ndarray) -> np.ndarray:
    """Poseidon of every row of an (n, k, 4) array of standard limbs (values < r): (n, 4)."""
    if rows.ndim != 3 or rows.shape[2] != 4 or not 1 <= rows.shape[1] <= MAX_INPUTS:
        raise ValueError("rows must be (n, k, 4) with 1 <= k <= 16")
    if rows.shape[0] == 0:
        return np.zeros((0, 4), dtype=np.uint64)
    rows = np.ascontiguousarray(rows, dtype=np.uint64)
    if rows.shape[1] == 2:
        parallel = rows.shape[0] >= _SERIAL_BELOW
        if _PAIRS_ON_IFMA:
            return poseidon_ifma.hash_pairs3(rows, _lane_kernel_constants(), parallel)
        return kpos.hash_pairs3(rows, *_sparse_kernel_params(3), parallel)
    init = np.zeros((rows.shape[0], 4), dtype=np.uint64)
    return _run(rows, init, 1)[:, 0, :]


def hash_pairs(left: Sequence[int], right: Sequence[int]) -> list[int]:
    """[Poseidon(l, r) for l, r in zip(left, right)], computed in parallel."""
    if len(left) != len(right):
        raise ValueError("hash_pairs needs equally many left and right values")
    for x in (*left, *right):
        field.check_scalar(x, "Poseidon input")
    rows = np.stack([field.ints_to_array(left), field.ints_to_array(right)], axis=1)
    return field.array_to_ints(hash_rows(rows))
