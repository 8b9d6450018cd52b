"""Evaluation domains of Fr and the NTT, with the roots of unity snarkjs (ffjavascript) uses.

Fr* has a subgroup of order 2^28. Its generator is g^((r−1)/2^28) for g the smallest quadratic
non-residue, and the root of order 2^k is that generator squared 28 − k times: the same
choice as ffjavascript's, which snarkjs's proving keys depend on (their H bases are built for
the coset ω_{2n}·⟨ω_n⟩).
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from . import field
from .kernels import ifma, ntt_lanes
from .kernels import ntt as kntt
from .params import R

TWO_ADICITY = 28


@lru_cache(maxsize=1)
def _root_of_max_order() -> int:
    nqr = 2
    while pow(nqr, (R - 1) // 2, R) != R - 1:
        nqr += 1
    return pow(nqr, (R - 1) >> TWO_ADICITY, R)


def root_of_unity(log_n: int) -> int:
    """The primitive 2^log_n-th root of unity ffjavascript calls w[log_n]."""
    if not 0 <= log_n <= TWO_ADICITY:
        raise ValueError(f"domain size must be a power of two up to 2^{TWO_ADICITY}")
    return pow(_root_of_max_order(), 1 << (TWO_ADICITY - log_n), R)


def _mont(x: int) -> tuple:
    return field.to_limbs(x * ((1 << 256) % R) % R)


@lru_cache(maxsize=8)
def _twiddles(log_n: int, inverse: bool) -> np.ndarray:
    n = 1 << log_n
    w = root_of_unity(log_n)
    if inverse:
        w = pow(w, -1, R)
    powers, acc = [], 1
    for _ in range(max(n // 2, 1)):
        powers.append(acc)
        acc = acc * w % R
    return field.to_montgomery(field.ints_to_array(powers), R)


@lru_cache(maxsize=1)
def _on_lanes() -> bool:
    return ifma.available()


def _lanes_for(log_n: int) -> bool:
    """Whether transforms of 2^log_n run on IFMA lanes (a row must fill the eight lanes)."""
    return _on_lanes() and log_n >= 3


@lru_cache(maxsize=8)
def _lane_twiddles(log_n: int, inverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """ntt_lanes' tables: every stage's twiddle (broadcast in the inner stages), and the last three's by lane."""
    twiddles52 = ntt_lanes.lane_twiddles(_twiddles(log_n, inverse))
    return twiddles52, ntt_lanes.cross_twiddles(twiddles52, 1 << log_n)


@lru_cache(maxsize=4)
def _lane_coset_scale(log_n: int, shift: int) -> np.ndarray:
    """n⁻¹·shift^i at every position i, in ntt_lanes' row layout: the inverse's 1/n and the coset's shift."""
    powers = np.tile(np.array(_mont(1), dtype=np.uint64), (1 << log_n, 1))
    kntt.scale_by_powers(powers, _mont(pow(1 << log_n, -1, R)), _mont(shift))
    return ntt_lanes.lane_table(ntt_lanes.lane_twiddles(powers))


_NO_SCALE = np.zeros((0, ifma.LIMBS, ifma.LANES), dtype=np.uint64)


def _transform(stack: np.ndarray, log_n: int, inverse: bool, lane_scale: np.ndarray = _NO_SCALE) -> None:
    """The transform of every row of a (k, n, 4) stack, in place: on IFMA lanes where the CPU has
    them (each row on one core, `lane_scale` multiplied in at the end), else by ntt_many with the
    rows cut until the tasks share out evenly over the cores (or are many; blocks of 2,048
    elements at least): each cut costs the cores one more meeting, an idle core costs more (3 rows
    of 8,192 on 2 cores: 6.7 ms uncut, 4.2 ms in halves)."""
    if _lanes_for(log_n):
        ntt_lanes.transform_rows(stack, *_lane_twiddles(log_n, inverse), lane_scale)
        return
    assert lane_scale.shape[0] == 0, "a lane scale is for the lane transform only"
    threads, tasks, parts = numba.get_num_threads(), stack.shape[0], 1
    while (tasks * parts) % threads and tasks * parts < 4 * threads and (1 << log_n) // (parts * 2) >= 2048:
        parts *= 2
    kntt.ntt_many(stack, _twiddles(log_n, inverse), parts)


def ntt(values: np.ndarray, log_n: int) -> np.ndarray:
    """Evaluations on ⟨ω⟩ of the polynomial with coefficients `values` ((n, 4) Montgomery)."""
    out = values.copy()
    _transform(out[None], log_n, False)
    return out


def intt(values: np.ndarray, log_n: int) -> np.ndarray:
    """Coefficients of the polynomial with evaluations `values` on ⟨ω⟩."""
    out = values.copy()
    _transform(out[None], log_n, True)
    n_inv = pow(1 << log_n, -1, R)
    kntt.scale_by_powers(out, _mont(n_inv), _mont(1))
    return out


def coset_evaluations(coefficients: np.ndarray, log_n: int, shift: int) -> np.ndarray:
    """Evaluations of the polynomial at shift·ω^i."""
    scaled = coefficients.copy()
    kntt.scale_by_powers(scaled, _mont(1), _mont(shift))
    _transform(scaled[None], log_n, False)
    return scaled


def coset_from_evaluations(evaluations: np.ndarray, log_n: int, shift: int) -> np.ndarray:
    """Evaluations at shift·ω^i of the polynomials whose evaluations on ⟨ω⟩ are the rows of
    `evaluations` ((k, n, 4)): coset_evaluations(intt(row)) for every row, the rows transformed
    together (shared out over the cores, see _transform)."""
    out = evaluations.copy()
    if _lanes_for(log_n):
        _transform(out, log_n, True, _lane_coset_scale(log_n, shift))
    else:
        _transform(out, log_n, True)
        n_inv = pow(1 << log_n, -1, R)
        for row in out:  # the inverse's 1/n and the coset's shift in one pass
            kntt.scale_by_powers(row, _mont(n_inv), _mont(shift))
    _transform(out, log_n, False)
    return out
