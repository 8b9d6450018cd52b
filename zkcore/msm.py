"""Multi-scalar multiplication by bases that are fixed ahead (a proving key's points).

`FixedBases(points)` pays once for per-window tables (kernels.msm_tables) when they fit a memory
budget, and otherwise runs Pippenger's windows, whole windows shared out among the cores; either
way `bases(scalars)` returns Σ s_i·P_i as a Jacobian kernel tuple. Where the CPU has AVX-512
IFMA, tables or points are kept in the lane form of kernels.msm_lanes, which fills the buckets
eight at a time; elsewhere buckets are accumulated in affine coordinates (kernels.msm_affine),
and G1 without tables splits every scalar in two halves of 128 bits by the GLV endomorphism
(kernels.glv).
"""

from __future__ import annotations

import numba
import numpy as np

from .kernels import curve as kc
from .kernels import glv, ifma, msm_lanes
from .kernels import msm_tables as kt
from .kernels.curve import signed_digits

TABLE_BUDGET_BYTES = 64 << 20  # per set of bases; beyond it, memory matters more than the ~1.4×
# Below this many points, Pippenger's windows on lanes lost to the scalar kernel, which runs the
# windows side by side: batch verification's few points. (Measured when every window was a parallel
# launch of its own; not measured again since the cores take whole windows.)
WINDOWED_LANES_MIN = 1024

# Relative costs of a bucket addition and of a reduction addition (general, scalar): on the
# scalar kernels an affine addition with its share of a batched inversion is ~6 multiplications
# and a Jacobian one ~16; on IFMA lanes a bucket addition (Jacobian + affine) costs about a
# fifteenth of a scalar reduction addition (measured at 5,680 points).
_COSTS = {False: (6, 16), True: (1.6, 24)}


def table_window_bits(n: int, parts: int, lanes: bool = False, tables: bool = True, bits: int = kt.SCALAR_BITS) -> int:
    """The window that minimises n·windows(c) bucket additions plus 2·2^(c−1) reduction ones, the
    latter once per thread with window tables (each thread has all the buckets, for its share of
    the points) and once per window without, for scalars < 2^bits."""
    mixed, full = _COSTS[lanes]

    def cost(c: int) -> float:
        windows = kt.windows_for(c, bits)
        reductions = parts if tables else windows
        return n * windows * mixed + reductions * 2 * (1 << (c - 1)) * full

    return min(range(4, 17), key=cost)


class FixedBases:
    """Affine points ((n, 2, 4) G1 or (n, 2, 2, 4) G2, Montgomery, (0, 0) = infinity) prepared
    for repeated MSMs."""

    def __init__(self, points: np.ndarray, budget: int = TABLE_BUDGET_BYTES, lanes: bool | None = None):
        self.points = points
        self.parts = max(1, numba.get_num_threads())
        self.lanes = ifma.available() if lanes is None else lanes
        n = points.shape[0]
        self.c = table_window_bits(max(n, 1), self.parts, self.lanes)
        self.nwin = kt.windows_for(self.c)
        self.tables = self.points52 = self.finite = self.glv_points = None
        row_bytes = points.itemsize * int(np.prod(points.shape[1:])) * (5 if self.lanes else 4) // 4  # 52-bit limbs
        self.windowed = n * self.nwin * row_bytes > budget
        if self.windowed and n < WINDOWED_LANES_MIN:
            self.lanes = False
        # Without tables or lanes, from WINDOWED_LANES_MIN points on (below it the windows run side by
        # side in curve.msm), buckets are accumulated in affine coordinates and G1 scalars split in
        # halves by GLV: half the windows, so half the reductions. (On lanes GLV measured slower at
        # 5,680 points, 33 against 23 ms on one core: twice the points per window to schedule.)
        self.affine_windows = self.windowed and not self.lanes and n >= WINDOWED_LANES_MIN
        self.glv = self.affine_windows and points.ndim == 3
        if self.windowed:
            count, bits = (2 * n, glv.GLV_BITS) if self.glv else (n, kt.SCALAR_BITS)
            self.c = table_window_bits(max(count, 1), self.parts, self.lanes, tables=False, bits=bits)
            self.nwin = kt.windows_for(self.c, bits)
        bases = glv.with_endomorphism(points) if self.glv else points
        if n == 0 or (self.windowed and not self.lanes):
            self.glv_points = bases if self.glv else None
            return  # nothing more to prepare: the scalar windowed Pippenger works from the points
        tables = kt.window_tables(bases, self.c, 1 if self.windowed else self.nwin)
        if self.lanes:
            self.points52 = msm_lanes.lane_points(tables)
            self.finite = self.points52.reshape(self.points52.shape[0], -1).any(axis=1)
        else:
            self.tables = tables

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.tables, self.points52, self.finite, self.glv_points) if a is not None)

    def _digits(self, scalars: np.ndarray) -> np.ndarray:
        if not self.glv:
            return signed_digits(scalars, self.c, self.nwin)
        halves, negative = glv.glv_split(scalars)  # rows: k₁ for the points, then k₂ for their images
        digits = signed_digits(halves, self.c, self.nwin)
        digits[negative] *= -1  # −d·P: the digits carry the sign of their half
        return digits

    def __call__(self, scalars: np.ndarray):
        """Σ scalars[i]·points[i] for scalars ((n, 4) standard limbs, each < r)."""
        if self.points52 is not None:
            run = kt.msm_windows_lanes if self.windowed else kt.msm_tables_lanes
            return run(self.points52, self.finite, self._digits(scalars), self.c, self.parts)
        if self.tables is not None:
            return kt.msm_tables(self.tables, self._digits(scalars), self.c, self.parts)
        if self.affine_windows:
            bases = self.glv_points if self.glv else self.points
            return kt.msm_windows(bases, self._digits(scalars), self.c, self.parts)
        return kc.msm(self.points, scalars, kc.msm_window_bits(self.points.shape[0]))
