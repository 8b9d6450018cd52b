"""Fr arithmetic on eight lanes at once with AVX-512 IFMA, emitted as LLVM IR for numba intrinsics.

An element is five radix-2^52 limbs, each an <8 x i64> vector (lane l holds the l-th element),
in Montgomery form with R = 2^260. vpmadd52luq/vpmadd52huq add the low/high 52 bits of a 52×52-bit
product to a 64-bit lane, so a Montgomery product is 5 rounds of "add a·b_i, add m·r, shift a
limb" with the carries left in the 12 spare bits until the end.

Because R = 2^260 is 64 times larger than r, the Montgomery product of any two values below 2^258
is below r + 2^256: results never need the conditional subtraction, so sums of a few products
stay below 2^258 and feed the next product as they are. Only `canonical` reduces fully.

The helpers here build IR with llvmlite; `available()` says whether this machine can run it.
"""

from __future__ import annotations

import platform

from llvmlite import binding as llvm
from llvmlite import ir
from numba import config

from ..params import R as _R

LANES = 8
LIMBS = 5
RADIX = 52
MASK = (1 << RADIX) - 1
MONT_R = 1 << (RADIX * LIMBS)

_I64 = ir.IntType(64)
VEC = ir.VectorType(_I64, LANES)


def available() -> bool:
    """AVX-512 IFMA on an x86-64 host that numba compiles for natively."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if config.CPU_NAME not in (None, "host"):
        return False
    return bool(llvm.get_host_cpu_features().get("avx512ifma")) and bool(llvm.get_host_cpu_features().get("avx512f"))


def to_limbs(x: int) -> list[int]:
    return [(x >> (RADIX * i)) & MASK for i in range(LIMBS)]


def to_mont(x: int) -> list[int]:
    """x·2^260 mod r as limbs: how constants are handed to the kernels."""
    return to_limbs(x * MONT_R % _R)


R2_LIMBS = to_mont(MONT_R % _R)  # x·R2 in Montgomery form is x·R: into Montgomery form
ONE_LIMBS = to_limbs(1)  # Montgomery product with 1: out of Montgomery form
_N_LIMBS = to_limbs(_R)
_N_PRIME = -pow(_R, -1, 1 << RADIX) % (1 << RADIX)


class VectorFr:
    """IR emitters for Fr on eight lanes; values are lists of five VEC limbs."""

    def __init__(self, builder: ir.IRBuilder):
        self.b = builder
        module = builder.module
        fty = ir.FunctionType(VEC, [VEC, VEC, VEC])
        self._lo = module.declare_intrinsic("llvm.x86.avx512.vpmadd52l.uq.512", fnty=fty)
        self._hi = module.declare_intrinsic("llvm.x86.avx512.vpmadd52h.uq.512", fnty=fty)
        self.zero = self.const(0)
        self._mask = self.const(MASK)
        self._shift = self.const(RADIX)
        self._n = [self.const(v) for v in _N_LIMBS]
        self._n_prime = self.const(_N_PRIME)

    def const(self, value: int) -> ir.Constant:
        return ir.Constant(VEC, [value] * LANES)

    def splat(self, scalar: ir.Value) -> ir.Value:
        """A scalar i64 in every lane."""
        one = self.b.insert_element(ir.Constant(VEC, None), scalar, ir.Constant(ir.IntType(32), 0))
        return self.b.shuffle_vector(one, ir.Constant(VEC, None), ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES))

    def load_const(self, ptr: ir.Value, offset: int | ir.Value) -> list[ir.Value]:
        """Five limbs stored as scalars at ptr[offset..offset+4], broadcast to every lane."""
        b = self.b
        base = offset if isinstance(offset, ir.Value) else ir.Constant(_I64, offset)
        return [self.splat(b.load(b.gep(ptr, [b.add(base, ir.Constant(_I64, k))]))) for k in range(LIMBS)]

    def load_lanes(self, ptr: ir.Value, offset: int) -> list[ir.Value]:
        """Five limbs stored as LANES-wide rows at ptr[offset + k·LANES]."""
        b = self.b
        out = []
        for k in range(LIMBS):
            p = b.bitcast(b.gep(ptr, [ir.Constant(_I64, offset + k * LANES)]), VEC.as_pointer())
            out.append(b.load(p, align=8))
        return out

    def store_lanes(self, ptr: ir.Value, offset: int, x: list[ir.Value]) -> None:
        b = self.b
        for k in range(LIMBS):
            p = b.bitcast(b.gep(ptr, [ir.Constant(_I64, offset + k * LANES)]), VEC.as_pointer())
            b.store(x[k], p, align=8)

    def _carry(self, t: list[ir.Value]) -> list[ir.Value]:
        """Propagate carries so limbs 0..3 are below 2^52."""
        b = self.b
        out = list(t)
        for j in range(LIMBS - 1):
            out[j + 1] = b.add(out[j + 1], b.lshr(out[j], self._shift))
            out[j] = b.and_(out[j], self._mask)
        return out

    def mul(self, x: list[ir.Value], y: list[ir.Value]) -> list[ir.Value]:
        """Montgomery product x·y/2^260 mod r (not canonical: below r + 2^256 for inputs < 2^258)."""
        b = self.b
        t = [self.zero] * (LIMBS + 1)
        for i in range(LIMBS):
            for j in range(LIMBS):
                t[j] = b.call(self._lo, [t[j], x[j], y[i]])
            for j in range(LIMBS):
                t[j + 1] = b.call(self._hi, [t[j + 1], x[j], y[i]])
            m = b.call(self._lo, [self.zero, t[0], self._n_prime])
            for j in range(LIMBS):
                t[j] = b.call(self._lo, [t[j], m, self._n[j]])
            for j in range(LIMBS):
                t[j + 1] = b.call(self._hi, [t[j + 1], m, self._n[j]])
            # t[0] is now a multiple of 2^52: drop it, keeping its carry
            t = [b.add(t[1], b.lshr(t[0], self._shift))] + t[2:] + [self.zero]
        return self._carry(t[:LIMBS])

    def add(self, x: list[ir.Value], y: list[ir.Value]) -> list[ir.Value]:
        """x + y, carried (no reduction: callers keep sums below 2^258)."""
        return self._carry([self.b.add(a, c) for a, c in zip(x, y)])

    def sbox(self, x: list[ir.Value]) -> list[ir.Value]:
        x2 = self.mul(x, x)
        return self.mul(self.mul(x2, x2), x)

    def dot(self, coeffs: list[list[ir.Value]], xs: list[list[ir.Value]]) -> list[ir.Value]:
        acc = self.mul(coeffs[0], xs[0])
        for c, x in zip(coeffs[1:], xs[1:]):
            acc = self.add(acc, self.mul(c, x))
        return acc

    def canonical(self, x: list[ir.Value]) -> list[ir.Value]:
        """x mod r for a carried x below 2r."""
        b = self.b
        d = []
        borrow = self.zero
        for j in range(LIMBS):
            v = b.add(b.sub(x[j], self._n[j]), borrow)
            if j < LIMBS - 1:
                borrow = b.ashr(v, self._shift)
                v = b.and_(v, self._mask)
            d.append(v)
        negative = b.icmp_signed("<", d[-1], self.zero)
        return [b.select(negative, xj, dj) for xj, dj in zip(x, d)]
