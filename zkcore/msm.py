"""Multi-scalar multiplication by bases that are fixed ahead (a proving key's points).

`FixedBases(points)` pays once for per-window tables (kernels.msm_tables) when they fit a memory
budget, and falls back to the plain windowed Pippenger of kernels.curve when they don't; either
way `bases(scalars)` returns Σ s_i·P_i as a Jacobian kernel tuple.
"""

from __future__ import annotations

import numba
import numpy as np

from .kernels import curve as kc
from .kernels import msm_tables as kt
from .kernels.curve import signed_digits

TABLE_BUDGET_BYTES = 64 << 20  # per set of bases; beyond it, memory matters more than the ~1.4×

# Group additions cost: a Jacobian + affine addition is ~11 multiplications, a general one ~16.
_MIXED, _FULL = 11, 16


def table_window_bits(n: int, parts: int) -> int:
    """The window that minimises n·windows(c) mixed additions plus 2·2^(c−1) full ones."""
    def cost(c: int) -> float:
        return n * kt.windows_for(c) * _MIXED + 2 * (1 << (c - 1)) * _FULL + parts * 2 * c * _FULL

    return min(range(4, 17), key=cost)


class FixedBases:
    """Affine points ((n, 2, 4) G1 or (n, 2, 2, 4) G2, Montgomery, (0, 0) = infinity) prepared
    for repeated MSMs."""

    def __init__(self, points: np.ndarray, budget: int = TABLE_BUDGET_BYTES):
        self.points = points
        self.parts = max(1, numba.get_num_threads())
        n = points.shape[0]
        self.c = table_window_bits(max(n, 1), self.parts)
        self.nwin = kt.windows_for(self.c)
        self.tables = None
        if n and n * self.nwin * points[0].nbytes <= budget:
            self.tables = kt.window_tables(points, self.c, self.nwin)

    @property
    def nbytes(self) -> int:
        return 0 if self.tables is None else self.tables.nbytes

    def __call__(self, scalars: np.ndarray):
        """Σ scalars[i]·points[i] for scalars ((n, 4) standard limbs, each < r)."""
        if self.tables is None:
            return kc.msm(self.points, scalars, kc.msm_window_bits(self.points.shape[0]))
        digits = signed_digits(scalars, self.c, self.nwin)
        return kt.msm_tables(self.tables, digits, self.c, self.parts)
