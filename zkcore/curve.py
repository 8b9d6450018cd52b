"""G1 and G2 of BN254: affine points with validated construction, arithmetic and encodings.

A `G1` or `G2` value is always a point of the prime-order group: every constructor that takes
outside data checks canonical coordinates (< p), the curve equation and, for G2, membership in
the order-r subgroup (the twist has a large cofactor, so a point merely on the curve can leak
or forge; G1 has cofactor 1). Infinity is written (0, 0), as in EIP-196.

Encodings:
- snarkjs JSON: G1 [x, y, z], G2 [[x_re, x_im], [y_re, y_im], [z_re, z_im]], decimal strings,
  Jacobian (x = X/Z², y = Y/Z³); z = 0 is infinity.
- EIP-196/197 bytes: big-endian 32-byte words; G1 x‖y, G2 x_im‖x_re‖y_im‖y_re; zeros = infinity.
- Compressed: the x encoding (32 or 64 bytes) with two flags in the top bits of the first byte,
  which p < 2²⁵⁴ leaves free: 0x80 infinity, 0x40 "y is the larger of y and −y".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import field
from .errors import InvalidEncoding, NotInSubgroup, NotOnCurve
from .field import (
    check_fq,
    fq2_add,
    fq2_from_kernel,
    fq2_inv,
    fq2_mul,
    fq2_neg,
    fq2_to_kernel,
    fq_from_kernel,
    fq_to_kernel,
    parse_decimal,
)
from .kernels import curve as kc
from .kernels import fields as kfields
from .kernels import pairing as kpairing
from .kernels import tower as ktower
from .params import B1, B2, G1_GENERATOR, G2_GENERATOR, P, R

_FLAG_INFINITY = 0x80
_FLAG_LARGER_Y = 0x40



def _scalar_limbs(k: int):
    return field.to_limbs(k % R)


class _Point:
    """Shared behaviour; subclasses define the coordinate field through the hooks below."""

    __slots__ = ()

    # hooks: _to_k, _from_k (coordinate <-> kernel), _ZERO, _on_curve, _in_subgroup

    @classmethod
    def infinity(cls):
        return cls._unchecked(cls._ZERO, cls._ZERO)

    @classmethod
    def _unchecked(cls, x, y):
        p = object.__new__(cls)
        object.__setattr__(p, "x", x)
        object.__setattr__(p, "y", y)
        return p

    @classmethod
    def from_affine(cls, x, y):
        """A validated point; raises NotOnCurve / NotInSubgroup / InvalidEncoding."""
        cls._check_coordinate(x)
        cls._check_coordinate(y)
        if x == cls._ZERO and y == cls._ZERO:
            return cls.infinity()
        if not cls._on_curve(x, y):
            raise NotOnCurve(f"{cls.__name__} point is not on the curve")
        p = cls._unchecked(x, y)
        if not p._in_subgroup():
            raise NotInSubgroup(f"{cls.__name__} point is not in the prime-order subgroup")
        return p

    def __post_init__(self):
        type(self).from_affine(self.x, self.y)  # raises unless (x, y) is a group point

    @property
    def is_infinity(self) -> bool:
        return self.x == self._ZERO and self.y == self._ZERO

    def _kernel(self):
        return (self._to_k(self.x), self._to_k(self.y))

    def _jacobian(self):
        kx, ky = self._kernel()
        if self.is_infinity:
            return (self._K_ONE, self._K_ONE, self._K_ZERO)
        return (kx, ky, self._K_ONE)

    @classmethod
    def _from_jacobian(cls, j):
        x, y = kc.jac_to_affine(_box(j))
        return cls._unchecked(cls._from_k(x), cls._from_k(y))

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._from_jacobian(kc.jac_add(self._jacobian(), other._jacobian()))

    def __neg__(self):
        return self if self.is_infinity else self._unchecked(self.x, self._neg(self.y))

    def __sub__(self, other):
        return self + (-other)

    def __mul__(self, k: int):
        if not isinstance(k, int) or isinstance(k, bool):
            return NotImplemented
        kx, ky = self._kernel()
        return self._from_jacobian(kc.jac_mul_affine(kx, ky, _scalar_limbs(k)))

    __rmul__ = __mul__

    def double(self):
        return self._from_jacobian(kc.jac_double(self._jacobian()))

    def _in_subgroup(self) -> bool:
        return True

    # --- encodings shared by shape ---

    @classmethod
    def from_snarkjs(cls, obj):
        """From snarkjs's Jacobian JSON triple; validated."""
        if not isinstance(obj, (list, tuple)) or len(obj) != 3:
            raise InvalidEncoding(f"{cls.__name__} must be a list of 3 coordinates")
        x, y, z = (cls._parse_json_coordinate(c) for c in obj)
        if z == cls._ZERO:
            return cls.infinity()
        if z == cls._ONE:  # what snarkjs writes: already affine
            return cls.from_affine(x, y)
        z_inv = cls._inv(z)
        z_inv2 = cls._mul(z_inv, z_inv)
        return cls.from_affine(cls._mul(x, z_inv2), cls._mul(y, cls._mul(z_inv2, z_inv)))

    def to_snarkjs(self) -> list:
        if self.is_infinity:
            return [self._json(self._ZERO), self._json(self._ONE), self._json(self._ZERO)]
        return [self._json(self.x), self._json(self.y), self._json(self._ONE)]

    def to_bytes(self) -> bytes:
        """EIP-196/197 uncompressed encoding."""
        return self._coord_bytes(self.x) + self._coord_bytes(self.y)

    @classmethod
    def from_bytes(cls, data: bytes):
        n = cls._COORD_BYTES
        if not isinstance(data, (bytes, bytearray)) or len(data) != 2 * n:
            raise InvalidEncoding(f"{cls.__name__} encoding must be {2 * n} bytes")
        return cls.from_affine(cls._coord_from_bytes(data[:n]), cls._coord_from_bytes(data[n:]))

    def compress(self) -> bytes:
        if self.is_infinity:
            return bytes([_FLAG_INFINITY]) + bytes(self._COORD_BYTES - 1)
        out = bytearray(self._coord_bytes(self.x))
        if self._is_larger(self.y):
            out[0] |= _FLAG_LARGER_Y
        return bytes(out)

    @classmethod
    def decompress(cls, data: bytes):
        if not isinstance(data, (bytes, bytearray)) or len(data) != cls._COORD_BYTES:
            raise InvalidEncoding(f"compressed {cls.__name__} must be {cls._COORD_BYTES} bytes")
        flags = data[0] & 0xC0
        body = bytes([data[0] & 0x3F]) + bytes(data[1:])
        if flags & _FLAG_INFINITY:
            if flags != _FLAG_INFINITY or any(body):
                raise InvalidEncoding(f"non-canonical compressed {cls.__name__} infinity")
            return cls.infinity()
        x = cls._coord_from_bytes(body)
        y = cls._sqrt(cls._rhs(x))
        if y is None:
            raise NotOnCurve(f"compressed {cls.__name__}: x is not on the curve")
        if cls._is_larger(y) != bool(flags & _FLAG_LARGER_Y):
            y = cls._neg(y)
        if y == cls._ZERO and flags & _FLAG_LARGER_Y:
            raise InvalidEncoding(f"non-canonical compressed {cls.__name__}")
        return cls.from_affine(x, y)


def _box(t):
    """Re-type kernel output (Python ints) as uint64 so it can go back into a kernel."""
    return tuple(_box(v) for v in t) if isinstance(t, tuple) else np.uint64(t)


@dataclass(frozen=True, slots=True)
class G1(_Point):
    """A point of G1 ⊂ E(Fq), affine, with int coordinates; (0, 0) is infinity."""

    x: int
    y: int

    _ZERO = 0
    _ONE = 1
    _K_ZERO = kfields.FQ_ZERO
    _K_ONE = kfields.FQ_ONE
    _COORD_BYTES = 32

    _to_k = staticmethod(fq_to_kernel)
    _from_k = staticmethod(fq_from_kernel)

    @classmethod
    def generator(cls) -> G1:
        return cls._unchecked(*G1_GENERATOR)

    @staticmethod
    def _check_coordinate(c):
        check_fq(c)

    @staticmethod
    def _rhs(x):
        return (x * x * x + B1) % P

    @classmethod
    def _on_curve(cls, x, y):
        return y * y % P == cls._rhs(x)

    @staticmethod
    def _neg(c):
        return -c % P

    @staticmethod
    def _inv(c):
        return pow(c, -1, P)

    @staticmethod
    def _mul(a, b):
        return a * b % P

    @staticmethod
    def _sqrt(c):
        return field.fq_sqrt(c)

    @staticmethod
    def _is_larger(c):
        return c > P - c

    @staticmethod
    def _json(c):
        return str(c)

    @staticmethod
    def _parse_json_coordinate(c):
        return parse_decimal(c, P, "G1 coordinate")

    @staticmethod
    def _coord_bytes(c):
        return c.to_bytes(32, "big")

    @staticmethod
    def _coord_from_bytes(b):
        return check_fq(int.from_bytes(b, "big"))


@dataclass(frozen=True, slots=True)
class G2(_Point):
    """A point of G2 ⊂ E'(Fq2), affine; coordinates are (real, imaginary) pairs; ((0,0),(0,0)) is infinity."""

    x: tuple[int, int]
    y: tuple[int, int]

    _ZERO = (0, 0)
    _ONE = (1, 0)
    _K_ZERO = ktower.FQ2_ZERO
    _K_ONE = ktower.FQ2_ONE
    _COORD_BYTES = 64

    _to_k = staticmethod(fq2_to_kernel)
    _from_k = staticmethod(fq2_from_kernel)

    @classmethod
    def generator(cls) -> G2:
        return cls._unchecked(*G2_GENERATOR)

    @staticmethod
    def _check_coordinate(c):
        if not isinstance(c, tuple) or len(c) != 2:
            raise InvalidEncoding("G2 coordinate must be a (real, imaginary) pair")
        check_fq(c[0])
        check_fq(c[1])

    @staticmethod
    def _rhs(x):
        return fq2_add(fq2_mul(fq2_mul(x, x), x), B2)

    @classmethod
    def _on_curve(cls, x, y):
        return fq2_mul(y, y) == cls._rhs(x)

    def _in_subgroup(self) -> bool:
        return bool(kpairing.g2_in_subgroup(*self._kernel()))

    _neg = staticmethod(fq2_neg)
    _inv = staticmethod(fq2_inv)
    _mul = staticmethod(fq2_mul)

    @staticmethod
    def _sqrt(c):
        return field.fq2_sqrt(c)

    @staticmethod
    def _is_larger(c):
        # Order on Fq2 by the imaginary part first, then the real part.
        return c[1] > P - c[1] if c[1] else c[0] > P - c[0]

    @staticmethod
    def _json(c):
        return [str(c[0]), str(c[1])]

    @staticmethod
    def _parse_json_coordinate(c):
        if not isinstance(c, (list, tuple)) or len(c) != 2:
            raise InvalidEncoding("G2 coordinate must be a [real, imaginary] pair")
        return (parse_decimal(c[0], P, "G2 coordinate"), parse_decimal(c[1], P, "G2 coordinate"))

    @staticmethod
    def _coord_bytes(c):
        return c[1].to_bytes(32, "big") + c[0].to_bytes(32, "big")

    @staticmethod
    def _coord_from_bytes(b):
        return (check_fq(int.from_bytes(b[32:], "big")), check_fq(int.from_bytes(b[:32], "big")))


def _points_array(points: Sequence[_Point]) -> np.ndarray:
    """Affine points as the kernel's Montgomery array: (n, 2, 4) for G1, (n, 2, 2, 4) for G2."""
    return np.array([p._kernel() for p in points], dtype=np.uint64)


def msm(points: Sequence[_Point], scalars: Sequence[int]):
    """Σ scalars[i]·points[i] (Pippenger, both cores; buckets filled on IFMA lanes where the CPU
    has them). Scalars are reduced mod r."""
    if len(points) != len(scalars):
        raise ValueError("msm needs as many scalars as points")
    if not points:
        raise ValueError("msm of no points has no group to return")
    cls = type(points[0])
    if any(type(p) is not cls for p in points):
        raise TypeError("msm points must all be G1 or all be G2")
    from .msm import FixedBases  # msm builds on this module's kernels, not on its classes

    arr = _points_array(points)
    ks = field.ints_to_array([k % R for k in scalars])
    return cls._from_jacobian(FixedBases(arr, budget=0)(ks))
