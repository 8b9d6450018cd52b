"""The alt_bn128 precompiles of EIP-196 and EIP-197, byte for byte.

Input shorter than the call's fixed size is zero-padded on the right and longer input is
truncated (add, mul) as the EIP says; points must be canonical and on the curve (and G2 in
the subgroup for pairing) or the call raises InvalidEncoding or a subclass — the EVM's "fail".
"""

from .curve import G1, G2
from .errors import InvalidEncoding
from .pairing import pairing_check


def _padded(data: bytes, size: int) -> bytes:
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidEncoding("precompile input must be bytes")
    return bytes(data[:size]).ljust(size, b"\0")


def bn256_add(data: bytes) -> bytes:
    """ECADD (0x06): 128 bytes x1‖y1‖x2‖y2 → 64 bytes x‖y of the sum."""
    data = _padded(data, 128)
    return (G1.from_bytes(data[:64]) + G1.from_bytes(data[64:])).to_bytes()


def bn256_scalar_mul(data: bytes) -> bytes:
    """ECMUL (0x07): 96 bytes x‖y‖k → 64 bytes x‖y of k·P; k is any 256-bit integer."""
    data = _padded(data, 96)
    return (G1.from_bytes(data[:64]) * int.from_bytes(data[64:], "big")).to_bytes()


def bn256_pairing(data: bytes) -> bytes:
    """ECPAIRING (0x08): k blocks of 192 bytes (G1 x‖y, G2 x_im‖x_re‖y_im‖y_re) → 32-byte 1 or 0.

    The empty input is the empty product, 1. Input whose length is not a multiple of 192 fails.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidEncoding("precompile input must be bytes")
    if len(data) % 192:
        raise InvalidEncoding("pairing input length must be a multiple of 192 bytes")
    pairs = [
        (G1.from_bytes(data[i : i + 64]), G2.from_bytes(data[i + 64 : i + 192])) for i in range(0, len(data), 192)
    ]
    return (1 if pairing_check(pairs) else 0).to_bytes(32, "big")
