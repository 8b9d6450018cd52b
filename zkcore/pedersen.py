"""Pedersen commitments on BN254 G1: C = a·G + r·H (Pedersen 1991).

G is the usual generator (1, 2). H is hashed to the curve by try-and-increment from a domain-
separated SHA-256: for counter = 0, 1, … take x = SHA-256(DST ‖ counter ‖ 0) ‖ SHA-256(DST ‖
counter ‖ 1) as a 512-bit integer mod p (so the bias from reducing is < 2⁻²⁵⁰) until x³ + 3 is a
square, then y = the smaller of its two roots. G1 has cofactor 1, so that point is in the group.

Why nobody knows log_G H: its x coordinate is a SHA-256 output on a fixed public string, and the
first counter that lands on the curve is the one used, so there is nothing to choose. Knowing k
with H = k·G would mean solving a discrete logarithm in G1 for a point nobody picked, which is
the assumption the whole curve rests on. Whoever knew k could open a commitment to any amount
(a·G + r·H = (a + k·r)·G); without it a commitment binds its amount, and r (uniform in [0, r))
hides it perfectly.

Commitments add: Σ Cᵢ = (Σ aᵢ)·G + (Σ rᵢ)·H, with sums mod the group order. Amounts are cents
below 2⁶³, so a sum wraps only after more than 2¹⁹⁰ of them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from functools import cache

from .curve import G1
from .errors import InvalidEncoding
from .params import B1, P, R

DOMAIN = b"zkelig/pedersen/v1/H"
MAX_AMOUNT = 1 << 63


def hash_to_x(counter: int) -> int:
    prefix = DOMAIN + counter.to_bytes(4, "big")
    wide = hashlib.sha256(prefix + b"\x00").digest() + hashlib.sha256(prefix + b"\x01").digest()
    return int.from_bytes(wide, "big") % P


@cache
def generator_h() -> G1:
    """H: the first point that try-and-increment finds (pure Python: p ≡ 3 mod 4, so √v = v^((p+1)/4))."""
    for counter in range(1 << 16):
        x = hash_to_x(counter)
        rhs = (x * x * x + B1) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P == rhs:
            return G1.from_affine(x, min(y, P - y))
    raise RuntimeError("no point found")  # each try succeeds with probability ½


def check_amount(amount: object) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount < MAX_AMOUNT:
        raise InvalidEncoding("an amount is an integer number of cents in [0, 2^63)")
    return amount


def check_blinding(blinding: object) -> int:
    if not isinstance(blinding, int) or isinstance(blinding, bool) or not 0 <= blinding < R:
        raise InvalidEncoding("a blinding factor is an integer in [0, r)")
    return blinding


def random_blinding() -> int:
    return secrets.randbelow(R)


def commit(amount: int, blinding: int) -> G1:
    """a·G + r·H. Reveals nothing about `amount` to whoever does not know `blinding`."""
    return G1.generator() * check_amount(amount) + generator_h() * check_blinding(blinding)


def total(commitments: Iterable[G1]) -> G1:
    out = G1.infinity()
    for c in commitments:
        out = out + c
    return out


def opens_to(commitment: G1, amount: int, blinding: int) -> bool:
    """Whether (amount, blinding) opens `commitment`; `amount` may be a sum (any integer ≥ 0 mod r)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise InvalidEncoding("an amount is a non-negative integer")
    return G1.generator() * (amount % R) + generator_h() * check_blinding(blinding) == commitment
