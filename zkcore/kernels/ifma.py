"""Field arithmetic on eight lanes at once with AVX-512 IFMA, emitted as LLVM IR for numba intrinsics.

An element is five radix-2^52 limbs, each an <8 x i64> vector (lane l holds the l-th element),
in Montgomery form with R = 2^260. vpmadd52luq/vpmadd52huq add the low/high 52 bits of a 52×52-bit
product to a 64-bit lane, so a Montgomery product is 5 rounds of "add a·b_i, add m·p, shift a
limb", the carries left in the 12 spare bits until the end.

Values are kept lazily reduced: R = 2^260 is far above both BN254 moduli (< 2^254), and the
Montgomery product of x and y is below p + x·y/2^260 with no final subtraction. Every value
carries an upper bound, tracked in Python while the IR is generated: a product whose result
could pass 2^259 first reduces its larger input (a product with Montgomery one), a subtraction
adds the smallest multiple of p that keeps it non-negative, a sum must stay below 2^260, and
`canonical` asserts its input is below 2p. A formula whose bounds don't close fails when its
kernel is compiled, never at run time.

`available()` says whether this machine can run the result.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import config, njit

LANES = 8
LIMBS = 5
RADIX = 52
MASK = (1 << RADIX) - 1
MONT_R = 1 << (RADIX * LIMBS)
RESULT_LIMIT = 1 << 259  # what a product may reach, leaving headroom for a few additions

_I64 = ir.IntType(64)
VEC = ir.VectorType(_I64, LANES)


def available() -> bool:
    """AVX-512 IFMA on an x86-64 host that numba compiles for natively."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if config.CPU_NAME not in (None, "host"):
        return False
    features = llvm.get_host_cpu_features()
    return bool(features.get("avx512ifma")) and bool(features.get("avx512f"))


def to_limbs(x: int) -> list[int]:
    return [(x >> (RADIX * i)) & MASK for i in range(LIMBS)]


def to_mont(x: int, modulus: int) -> list[int]:
    """x·2^260 mod modulus as limbs: how constants are handed to the kernels."""
    return to_limbs(x * MONT_R % modulus)


_M52 = np.uint64(MASK)
_S12, _S16, _S24, _S28, _S36, _S40, _S52 = (np.uint64(k) for k in (12, 16, 24, 28, 36, 40, 52))


@njit(inline="always", cache=True)
def split52(w0, w1, w2, w3):
    """Four 64-bit limbs (a value < 2^256) as five 52-bit ones."""
    return (
        w0 & _M52,
        ((w0 >> _S52) | (w1 << _S12)) & _M52,
        ((w1 >> _S40) | (w2 << _S24)) & _M52,
        ((w2 >> _S28) | (w3 << _S36)) & _M52,
        w3 >> _S16,
    )


@njit(inline="always", cache=True)
def join52(l0, l1, l2, l3, l4):
    """Five carried 52-bit limbs of a value < 2^256 as four 64-bit ones."""
    return (l0 | (l1 << _S52), (l1 >> _S12) | (l2 << _S40), (l2 >> _S24) | (l3 << _S28), (l3 >> _S36) | (l4 << _S16))


@dataclass(frozen=True)
class Lazy:
    """A lane vector of field elements: five carried limbs and an upper bound on every lane's value."""

    limbs: tuple
    bound: int


class VectorField:
    """IR emitters for arithmetic modulo `modulus` (< 2^254) on eight lanes."""

    def __init__(self, builder: ir.IRBuilder, modulus: int):
        assert modulus < 1 << 254
        self.b = builder
        self.p = modulus
        module = builder.module
        fty = ir.FunctionType(VEC, [VEC, VEC, VEC])
        self._lo = module.declare_intrinsic("llvm.x86.avx512.vpmadd52l.uq.512", fnty=fty)
        self._hi = module.declare_intrinsic("llvm.x86.avx512.vpmadd52h.uq.512", fnty=fty)
        self._zero = self._splat_int(0)
        self._mask = self._splat_int(MASK)
        self._shift = self._splat_int(RADIX)
        self._n = [self._splat_int(v) for v in to_limbs(modulus)]
        self._n_prime = self._splat_int(-pow(modulus, -1, 1 << RADIX) % (1 << RADIX))
        self.zero = Lazy(tuple([self._zero] * LIMBS), 0)
        self.one = self.constant(1)

    # --- getting values in and out ---

    def _splat_int(self, value: int) -> ir.Constant:
        return ir.Constant(VEC, [value] * LANES)

    def constant(self, x: int) -> Lazy:
        """The field element x (any int), in Montgomery form, in every lane."""
        x %= self.p
        return Lazy(tuple(self._splat_int(v) for v in to_mont(x, self.p)), self.p - 1)

    def raw(self, limbs: list[int], bound: int) -> Lazy:
        """Limbs taken as they are (no Montgomery conversion), e.g. R² for converting inputs."""
        return Lazy(tuple(self._splat_int(v) for v in limbs), bound)

    def splat(self, scalar: ir.Value) -> ir.Value:
        """A scalar i64 in every lane."""
        b = self.b
        one = b.insert_element(ir.Constant(VEC, None), scalar, ir.Constant(ir.IntType(32), 0))
        return b.shuffle_vector(
            one, ir.Constant(VEC, None), ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES)
        )

    def load_const(self, ptr: ir.Value, offset: int | ir.Value) -> Lazy:
        """A canonical element stored as five scalar limbs at ptr[offset..], broadcast to every lane."""
        b = self.b
        base = offset if isinstance(offset, ir.Value) else ir.Constant(_I64, offset)
        limbs = tuple(self.splat(b.load(b.gep(ptr, [b.add(base, ir.Constant(_I64, k))]))) for k in range(LIMBS))
        return Lazy(limbs, self.p - 1)

    def load_lanes(self, ptr: ir.Value, offset: int | ir.Value, bound: int | None = None) -> Lazy:
        """Five limb rows of LANES words at ptr[offset + k·LANES] (canonical unless bound says)."""
        b = self.b
        base = offset if isinstance(offset, ir.Value) else ir.Constant(_I64, offset)
        limbs = []
        for k in range(LIMBS):
            p = b.bitcast(b.gep(ptr, [b.add(base, ir.Constant(_I64, k * LANES))]), VEC.as_pointer())
            limbs.append(b.load(p, align=8))
        return Lazy(tuple(limbs), self.p - 1 if bound is None else bound)

    def store_lanes(self, ptr: ir.Value, offset: int | ir.Value, limbs) -> None:
        b = self.b
        base = offset if isinstance(offset, ir.Value) else ir.Constant(_I64, offset)
        for k in range(LIMBS):
            p = b.bitcast(b.gep(ptr, [b.add(base, ir.Constant(_I64, k * LANES))]), VEC.as_pointer())
            b.store(limbs[k], p, align=8)

    def gather(self, ptr: ir.Value, rows: list[ir.Value]) -> Lazy:
        """Lane l takes the canonical element stored as five scalars at ptr[rows[l]·5 ..]."""
        b = self.b
        limbs = [ir.Constant(VEC, None)] * LIMBS
        for lane, row in enumerate(rows):
            base = b.mul(row, ir.Constant(_I64, LIMBS))
            for k in range(LIMBS):
                word = b.load(b.gep(ptr, [b.add(base, ir.Constant(_I64, k))]))
                limbs[k] = b.insert_element(limbs[k], word, ir.Constant(ir.IntType(32), lane))
        return Lazy(tuple(limbs), self.p - 1)

    # --- arithmetic ---

    def _carry(self, t) -> tuple:
        """Propagate carries (arithmetic shifts: limbs may be negative mid-subtraction) so limbs
        0..3 are in 0..2^52−1; the value must be non-negative."""
        b = self.b
        out = list(t)
        for j in range(LIMBS - 1):
            out[j + 1] = b.add(out[j + 1], b.ashr(out[j], self._shift))
            out[j] = b.and_(out[j], self._mask)
        return tuple(out)

    def _product_bound(self, x: Lazy, y: Lazy) -> int:
        return self.p + (x.bound * y.bound >> (RADIX * LIMBS)) + 1

    def mul(self, x: Lazy, y: Lazy) -> Lazy:
        """Montgomery product x·y/2^260 mod p, lazily reduced."""
        while self._product_bound(x, y) >= RESULT_LIMIT:
            if x.bound >= y.bound:
                x = self.reduce(x)
            else:
                y = self.reduce(y)
        return self._mul(x, y)

    def _mul(self, x: Lazy, y: Lazy) -> Lazy:
        b = self.b
        xs, ys = x.limbs, y.limbs
        t = [self._zero] * (LIMBS + 1)
        for i in range(LIMBS):
            for j in range(LIMBS):
                t[j] = b.call(self._lo, [t[j], xs[j], ys[i]])
            for j in range(LIMBS):
                t[j + 1] = b.call(self._hi, [t[j + 1], xs[j], ys[i]])
            m = b.call(self._lo, [self._zero, t[0], self._n_prime])
            for j in range(LIMBS):
                t[j] = b.call(self._lo, [t[j], m, self._n[j]])
            for j in range(LIMBS):
                t[j + 1] = b.call(self._hi, [t[j + 1], m, self._n[j]])
            # t[0] is now a multiple of 2^52: drop it, keeping its carry
            t = [b.add(t[1], b.lshr(t[0], self._shift))] + t[2:] + [self._zero]
        return Lazy(self._carry(t[:LIMBS]), self._product_bound(x, y))

    def sqr(self, x: Lazy) -> Lazy:
        return self.mul(x, x)

    def reduce(self, x: Lazy) -> Lazy:
        """The same element below 2p (a product with Montgomery one)."""
        return self._mul(x, self.one)

    def add(self, x: Lazy, y: Lazy) -> Lazy:
        bound = x.bound + y.bound
        assert bound < MONT_R
        return Lazy(self._carry([self.b.add(a, c) for a, c in zip(x.limbs, y.limbs)]), bound)

    def dbl(self, x: Lazy) -> Lazy:
        return self.add(x, x)

    def sub(self, x: Lazy, y: Lazy) -> Lazy:
        """x − y + k·p for the least k with k·p > y's bound."""
        b = self.b
        k = y.bound // self.p + 1
        kp = to_limbs(k * self.p)
        bound = x.bound + k * self.p
        assert bound < MONT_R
        limbs = [b.sub(b.add(a, self._splat_int(c)), d) for a, c, d in zip(x.limbs, kp, y.limbs)]
        return Lazy(self._carry(limbs), bound)

    def neg(self, x: Lazy) -> Lazy:
        return self.sub(self.zero, x)

    def select(self, flags: ir.Value, x: Lazy, y: Lazy) -> Lazy:
        """Per lane, x where flags (<8 x i1>) is set, else y."""
        limbs = tuple(self.b.select(flags, a, c) for a, c in zip(x.limbs, y.limbs))
        return Lazy(limbs, max(x.bound, y.bound))

    def canonical(self, x: Lazy) -> tuple:
        """The limbs of x mod p, for x below 2p."""
        assert x.bound < 2 * self.p
        b = self.b
        d = []
        borrow = self._zero
        for j in range(LIMBS):
            v = b.add(b.sub(x.limbs[j], self._n[j]), borrow)
            if j < LIMBS - 1:
                borrow = b.ashr(v, self._shift)
                v = b.and_(v, self._mask)
            d.append(v)
        negative = b.icmp_signed("<", d[-1], self._zero)
        return tuple(b.select(negative, xj, dj) for xj, dj in zip(x.limbs, d))

    def out_of_montgomery(self, x: Lazy) -> tuple:
        """Canonical limbs of the standard-form value."""
        return self.canonical(self.mul(x, self.raw(to_limbs(1), 1)))

    def into_montgomery(self, x: Lazy) -> Lazy:
        """x (standard form, < p) into Montgomery form."""
        return self.mul(x, self.raw(to_mont(MONT_R % self.p, self.p), self.p - 1))

    def sbox(self, x: Lazy) -> Lazy:
        x2 = self.sqr(x)
        return self.mul(self.sqr(x2), x)

    def dot(self, coeffs: list[Lazy], xs: list[Lazy]) -> Lazy:
        acc = self.mul(coeffs[0], xs[0])
        for c, x in zip(coeffs[1:], xs[1:]):
            acc = self.add(acc, self.mul(c, x))
        return acc


class VectorExt:
    """Fp (degree 1) or Fp2 = Fp[u]/(u² + 1) (degree 2) on eight lanes, over a VectorField: an
    element is a tuple of `degree` Lazy values, so curve formulas are written once for G1 and G2."""

    def __init__(self, field: VectorField, degree: int):
        assert degree in (1, 2)
        self.f = field
        self.degree = degree
        self.one = (field.one,) + (field.zero,) * (degree - 1)

    def add(self, x, y):
        return tuple(self.f.add(a, c) for a, c in zip(x, y))

    def sub(self, x, y):
        return tuple(self.f.sub(a, c) for a, c in zip(x, y))

    def dbl(self, x):
        return tuple(self.f.dbl(a) for a in x)

    def neg(self, x):
        return tuple(self.f.neg(a) for a in x)

    def reduce(self, x):
        return tuple(self.f.reduce(a) for a in x)

    def select(self, flags, x, y):
        return tuple(self.f.select(flags, a, c) for a, c in zip(x, y))

    def _summable(self, x):
        """x with components reduced if their sum could pass the products' input range."""
        if sum(a.bound for a in x) + self.f.p >= RESULT_LIMIT:
            return self.reduce(x)
        return x

    def mul(self, x, y):
        f = self.f
        if self.degree == 1:
            return (f.mul(x[0], y[0]),)
        x, y = self._summable(x), self._summable(y)
        t0, t1 = f.mul(x[0], y[0]), f.mul(x[1], y[1])  # Karatsuba: three products
        t2 = f.mul(f.add(x[0], x[1]), f.add(y[0], y[1]))
        return (f.sub(t0, t1), f.sub(f.sub(t2, t0), t1))

    def sqr(self, x):
        f = self.f
        if self.degree == 1:
            return (f.sqr(x[0]),)
        x = self._summable(x)
        return (f.mul(f.add(x[0], x[1]), f.sub(x[0], x[1])), f.dbl(f.mul(x[0], x[1])))


class Carried:
    """Values carried across the iterations of an emitted loop, in stack slots that LLVM promotes
    to registers.

    Slot i enters below bounds[i] and may grow by growth[i] per iteration (0: bounds[i] must be a
    fixed point of the loop body), so loads assume bounds[i] + count·growth[i]. `save` checks
    that an iteration's result is within growth[i] of that: sound for bodies that add to a
    carried value something that does not depend on it, as Poseidon's partial rounds do.
    """

    def __init__(
        self, field: VectorField, values: list[Lazy], bounds: list[int], count: int = 0, growth: list[int] | None = None
    ):
        from numba.core import cgutils

        self.field = field
        self.growth = growth or [0] * len(values)
        self.peaks = [bound + count * g for bound, g in zip(bounds, self.growth)]
        self.slots = [[cgutils.alloca_once(field.b, VEC) for _ in range(LIMBS)] for _ in values]
        for x, bound in zip(values, bounds):
            assert x.bound <= bound, "a value enters a loop above its slot's bound"
        self._store(values)

    def load(self) -> list[Lazy]:
        b = self.field.b
        return [Lazy(tuple(b.load(p) for p in slot), peak) for slot, peak in zip(self.slots, self.peaks)]

    def save(self, values: list[Lazy]) -> None:
        for x, peak, g in zip(values, self.peaks, self.growth):
            assert x.bound <= peak + g, "a carried value outgrew its slot"
        self._store(values)

    def _store(self, values: list[Lazy]) -> None:
        b = self.field.b
        for slot, x in zip(self.slots, values):
            for p, limb in zip(slot, x.limbs):
                b.store(limb, p)
