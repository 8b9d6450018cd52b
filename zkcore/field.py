"""Fq and Fr at the boundary between Python integers and the limb kernels.

Python code holds field elements as plain `int`s in [0, modulus); kernels hold them as
Montgomery limb tuples or (n, 4) uint64 arrays. This module converts between the two, checks
canonical ranges, and offers the few scalar operations that callers outside hot loops need
(inverse, square roots). Fq (the base field, modulus P) and Fr (the scalar field, modulus R)
are never mixed: every function names the field it works in.
"""

from collections.abc import Iterable, Sequence

import numpy as np

from .errors import InvalidEncoding
from .kernels import batch as _batch
from .kernels import fields as _kfields
from .kernels import tower as _ktower
from .params import P, R

_MASK = (1 << 64) - 1
_MONT_P = (1 << 256) % P
_MONT_P_INV = pow(_MONT_P, -1, P)
_FIELD_ID = {P: 0, R: 1}


def to_limbs(x: int) -> tuple:
    """x as 4 little-endian uint64 limbs (standard form)."""
    return (np.uint64(x & _MASK), np.uint64((x >> 64) & _MASK), np.uint64((x >> 128) & _MASK), np.uint64(x >> 192))


def from_limbs(t) -> int:
    return int(t[0]) | int(t[1]) << 64 | int(t[2]) << 128 | int(t[3]) << 192


def fq_to_kernel(x: int) -> tuple:
    """An Fq element (int in [0, P)) as Montgomery limbs."""
    return to_limbs(x * _MONT_P % P)


def fq_from_kernel(t) -> int:
    return from_limbs(t) * _MONT_P_INV % P


def fq2_to_kernel(x: tuple[int, int]) -> tuple:
    return (fq_to_kernel(x[0]), fq_to_kernel(x[1]))


def fq2_from_kernel(t) -> tuple[int, int]:
    return (fq_from_kernel(t[0]), fq_from_kernel(t[1]))


def ints_to_array(values: Iterable[int]) -> np.ndarray:
    """Integers in [0, 2²⁵⁶) as an (n, 4) uint64 array of standard-form limbs."""
    raw = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(raw, dtype="<u8").reshape(-1, 4).astype(np.uint64)


def array_to_ints(arr: np.ndarray) -> list[int]:
    raw = np.ascontiguousarray(arr, dtype="<u8").tobytes()
    return [int.from_bytes(raw[i : i + 32], "little") for i in range(0, len(raw), 32)]


def to_montgomery(arr: np.ndarray, modulus: int) -> np.ndarray:
    return _batch.batch_to_mont(arr, _FIELD_ID[modulus])


def from_montgomery(arr: np.ndarray, modulus: int) -> np.ndarray:
    return _batch.batch_from_mont(arr, _FIELD_ID[modulus])


def batch_inverse(values: Sequence[int], modulus: int) -> list[int]:
    """Inverses of many elements of Fq or Fr at the cost of one; zero maps to zero."""
    if not values:
        return []
    mont = to_montgomery(ints_to_array(values), modulus)
    out = _batch.batch_inv(mont, np.array(to_limbs(modulus - 2)), _FIELD_ID[modulus])
    return array_to_ints(from_montgomery(out, modulus))


def check_scalar(x: int, what: str = "scalar") -> int:
    """x if it is a canonical Fr element, else InvalidEncoding."""
    if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < R:
        raise InvalidEncoding(f"{what} is not an integer in [0, r)")
    return x


def check_fq(x: int, what: str = "coordinate") -> int:
    """x if it is a canonical Fq element, else InvalidEncoding."""
    if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < P:
        raise InvalidEncoding(f"{what} is not an integer in [0, p)")
    return x


def fq_sqrt(a: int) -> int | None:
    """A square root of a in Fq, or None if a is not a square."""
    root, ok = _kfields.fq_sqrt(fq_to_kernel(a))
    return fq_from_kernel(root) if ok else None


def fq2_sqrt(a: tuple[int, int]) -> tuple[int, int] | None:
    """A square root of a = a₀ + a₁u in Fq2, or None if a is not a square."""
    root, ok = _ktower.fq2_sqrt(fq2_to_kernel(a))
    return fq2_from_kernel(root) if ok else None


def parse_decimal(s: object, bound: int, what: str) -> int:
    """A decimal string (or int) as a canonical integer in [0, bound), else InvalidEncoding.

    Strict on purpose: no sign, no spaces, no leading '+', no more digits than the bound has,
    so that one encoding maps to one value and a huge string cannot cost time.
    """
    if isinstance(s, int) and not isinstance(s, bool):
        value = s
    elif isinstance(s, str) and s.isascii() and s.isdigit() and len(s) <= len(str(bound)):
        value = int(s)
    else:
        raise InvalidEncoding(f"{what} is not a decimal integer string")
    if not 0 <= value < bound:
        raise InvalidEncoding(f"{what} is out of range")
    return value


# --- pure-Python Fq2 = Fq[u]/(u² + 1) on (real, imaginary) pairs of ints ----------------------
# Readable reference for the Fq2 kernels, and cheap enough for per-point validation.


def fq2_add(a, b):
    return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)


def fq2_sub(a, b):
    return ((a[0] - b[0]) % P, (a[1] - b[1]) % P)


def fq2_mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def fq2_inv(a):
    norm_inv = pow((a[0] * a[0] + a[1] * a[1]) % P, -1, P)
    return (a[0] * norm_inv % P, -a[1] * norm_inv % P)


def fq2_neg(a):
    return (-a[0] % P, -a[1] % P)
