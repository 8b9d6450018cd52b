"""Phase 1 from a snarkjs Powers of Tau file (`.ptau`), prepared for phase 2.

A .ptau is an iden3 binfile ("ptau", version 1). The sections phase 2 needs (points are affine,
little-endian Montgomery coordinates, as in a .zkey):

    1   header: u32 n8 (32), q (n8 bytes), u32 power, u32 ceremony power
    2   [τ^i]₁ for i < 2^(power+1) − 1
    4   [α·τ^i]₁; its first point is [α]₁
    5   [β·τ^i]₁; its first point is [β]₁
    6   [β]₂
    12  [L_i(τ)]₁ for every domain size 2^k, k = 0..power+1, one block after the other (block k starts
        at point 2^k − 1); L_i is the Lagrange polynomial of ω_{2^k}^i
    13  [L_i(τ)]₂, 14 [α·L_i(τ)]₁, 15 [β·L_i(τ)]₁: the same blocks for k = 0..power

Sections 12–15 exist only after `snarkjs powersoftau prepare phase2`. This module reads; it does not
check the phase-1 contributions themselves (that is `snarkjs powersoftau verify`, run once on a
public file), but every point it hands out is range-checked and the header points are validated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..curve import G1, G2
from ..errors import InvalidEncoding
from ..params import P
from .snarkjs import _check_montgomery_coordinates, _g1_point, _g2_point, _one, _sections

G1_BYTES, G2_BYTES = 64, 128


@dataclass(frozen=True, eq=False)
class PowersOfTau:
    """A prepared .ptau held in memory (a power-12 file is a few MB; public ones are read the same way)."""

    power: int
    sections: dict[int, list[bytes]]

    @property
    def alpha_g1(self) -> G1:
        return _g1_point(_one(self.sections, 4, "ptau"), 0)

    @property
    def beta_g1(self) -> G1:
        return _g1_point(_one(self.sections, 5, "ptau"), 0)

    @property
    def beta_g2(self) -> G2:
        return _g2_point(_one(self.sections, 6, "ptau"), 0)

    def _block(self, section: int, start: int, count: int, g2: bool, what: str) -> np.ndarray:
        size = G2_BYTES if g2 else G1_BYTES
        buf = _one(self.sections, section, "ptau")
        if (start + count) * size > len(buf):
            raise InvalidEncoding(f"ptau: section {section} is too short for {what}")
        shape = (count, 2, 2, 4) if g2 else (count, 2, 4)
        arr = np.frombuffer(buf, dtype="<u8", count=count * size // 8, offset=start * size).reshape(shape)
        arr = arr.astype(np.uint64)
        _check_montgomery_coordinates(arr, what)
        return arr

    def lagrange(self, section: int, log_n: int) -> np.ndarray:
        """[L_i(τ)] (section 12/13), [α·L_i(τ)]₁ (14) or [β·L_i(τ)]₁ (15) for the domain of size 2^log_n."""
        n = 1 << log_n
        return self._block(section, n - 1, n, section == 13, f"Lagrange section {section}, domain 2^{log_n}")

    def tau_powers_g1(self, count: int) -> np.ndarray:
        return self._block(2, 0, count, False, "[τ^i]₁")


def read_ptau(path: str | Path) -> PowersOfTau:
    """A BN254 .ptau prepared for phase 2 (sections 12–15 present); InvalidEncoding otherwise."""
    sections = _sections(Path(path).read_bytes(), b"ptau", "ptau")
    header = _one(sections, 1, "ptau")
    if len(header) != 44 or struct.unpack_from("<I", header, 0)[0] != 32:
        raise InvalidEncoding("ptau: the header is not a BN254 header")
    if int.from_bytes(header[4:36], "little") != P:
        raise InvalidEncoding("ptau: not a BN254 (bn128) file")
    power, _ceremony_power = struct.unpack_from("<II", header, 36)
    if not 1 <= power <= 28:
        raise InvalidEncoding(f"ptau: power {power} is out of range")
    if any(k not in sections for k in (12, 13, 14, 15)):
        raise InvalidEncoding("ptau: not prepared for phase 2; run `snarkjs powersoftau prepare phase2` on it")
    ptau = PowersOfTau(power, sections)
    for point in (ptau.alpha_g1, ptau.beta_g1, ptau.beta_g2):  # validated (curve and subgroup) when built
        if point.is_infinity:
            raise InvalidEncoding("ptau: α or β is the point at infinity")
    return ptau
