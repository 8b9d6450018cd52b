"""The optimal ate pairing e: G1 × G2 → GT ⊂ Fq12*, and products of pairings checked against 1.

`pairing_check` is what verifiers use: one Miller loop per pair sharing its squarings, and a
single final exponentiation. G2 arguments may be prepared ahead (`prepare_g2`), which saves
the line computation for fixed points such as a verifying key's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import field
from .curve import G1, G2
from .kernels import pairing as kp
from .params import P, R


@dataclass(frozen=True, slots=True, eq=False)
class PreparedG2:
    """A G2 point with its Miller-loop line coefficients; lines is None for infinity."""

    point: G2
    lines: np.ndarray | None


def prepare_g2(q: G2) -> PreparedG2:
    if not isinstance(q, G2):
        raise TypeError("prepare_g2 takes a G2 point")
    return PreparedG2(q, None if q.is_infinity else kp.g2_lines(*q._kernel()))


@dataclass(frozen=True, slots=True)
class Gt:
    """An element of Fq12 as 12 ints: the (real, imaginary) parts of the coefficients of
    w⁰, w², w⁴, w¹, w³, w⁵ in Fq12 = Fq2[w]/(w⁶ − (9 + u))."""

    coeffs: tuple[int, ...]

    @classmethod
    def _from_array(cls, arr: np.ndarray) -> Gt:
        flat = field.from_montgomery(arr.reshape(12, 4), P)
        return cls(tuple(field.array_to_ints(flat)))

    def _array(self) -> np.ndarray:
        return field.to_montgomery(field.ints_to_array(self.coeffs), P).reshape(2, 3, 2, 4)

    @classmethod
    def one(cls) -> Gt:
        return cls((1,) + (0,) * 11)

    def __mul__(self, other: Gt) -> Gt:
        return Gt._from_array(kp.gt_mul_array(self._array(), other._array()))

    def __pow__(self, k: int) -> Gt:
        return Gt._from_array(kp.gt_pow_array(self._array(), np.array(field.to_limbs(k % R))))


def _pairs_arrays(pairs: Iterable[tuple[G1, G2 | PreparedG2]]):
    """Stack the pairs that contribute (neither side infinity) into kernel arrays."""
    g1s, lines = [], []
    for p, q in pairs:
        if not isinstance(p, G1):
            raise TypeError("pairing takes G1 points on the left")
        prepared = q if isinstance(q, PreparedG2) else prepare_g2(q)
        if p.is_infinity or prepared.lines is None:
            continue
        g1s.append(p._kernel())
        lines.append(prepared.lines)
    if not g1s:
        return None, None
    return np.array(g1s, dtype=np.uint64), np.stack(lines)


def pairing(p: G1, q: G2) -> Gt:
    return Gt._from_array(kp.final_exponentiation_array(miller_loop([(p, q)])))


@cache
def _one_array() -> np.ndarray:
    return Gt.one()._array()


def pairing_check(pairs: Iterable[tuple[G1, G2 | PreparedG2]], miller_factor: np.ndarray | None = None) -> bool:
    """Whether Π e(P_i, Q_i) = 1. `miller_factor`, a cached Miller-loop value such as e(α, β)'s
    before final exponentiation, is multiplied in for free."""
    return bool(kp.final_exponentiation_is_one(miller_loop(pairs, miller_factor)))


def miller_loop(pairs: Iterable[tuple[G1, G2 | PreparedG2]], factor: np.ndarray | None = None) -> np.ndarray:
    """factor · Π f_{Q_i}(P_i), un-exponentiated: what `pairing_check` takes as `miller_factor`."""
    g1, lines = _pairs_arrays(pairs)
    factor = _one_array() if factor is None else factor
    if g1 is None:
        return factor
    return kp.miller_loop_array(g1, lines, factor)
