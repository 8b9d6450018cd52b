"""64-bit limb primitives: the three operations every multi-precision kernel is built from.

numba has no 128-bit integer type, but LLVM does. Emitting the widening product as
`zext → mul i128 → lshr/trunc` lets LLVM select the single `mul` instruction that yields
both halves, which is ~3× faster than splitting operands into 32-bit halves.

Everything here takes and returns `uint64` only: numba promotes `uint64 + int64` to float64
or int64, so callers pass `np.uint64` constants, never bare Python ints.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_I64 = ir.IntType(64)
_I128 = ir.IntType(128)
_PAIR = types.UniTuple(types.uint64, 2)


def _split(builder, wide):
    lo = builder.trunc(wide, _I64)
    hi = builder.trunc(builder.lshr(wide, ir.Constant(_I128, 64)), _I64)
    return lo, hi


@intrinsic
def mac(typingctx, a, b, c, d):
    """(lo, hi) of a + b·c + d. Cannot overflow: (2⁶⁴−1)² + 2(2⁶⁴−1) = 2¹²⁸ − 1."""
    sig = _PAIR(types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        a_, b_, c_, d_ = (builder.zext(v, _I128) for v in args)
        wide = builder.add(builder.add(builder.mul(b_, c_), a_), d_)
        return context.make_tuple(builder, signature.return_type, _split(builder, wide))

    return sig, codegen


@intrinsic
def adc(typingctx, a, b, carry):
    """(sum, carry_out) of a + b + carry, carry in {0, 1}."""
    sig = _PAIR(types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (builder.zext(v, _I128) for v in args)
        wide = builder.add(builder.add(a_, b_), c_)
        return context.make_tuple(builder, signature.return_type, _split(builder, wide))

    return sig, codegen


@intrinsic
def sbb(typingctx, a, b, borrow):
    """(difference, borrow_out) of a − b − borrow, borrow in {0, 1}."""
    sig = _PAIR(types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (builder.zext(v, _I128) for v in args)
        wide = builder.sub(builder.sub(a_, b_), c_)
        lo, hi = _split(builder, wide)
        # A negative i128 has all-ones in its high half; its lowest bit is the borrow.
        borrow_out = builder.and_(hi, ir.Constant(_I64, 1))
        return context.make_tuple(builder, signature.return_type, (lo, borrow_out))

    return sig, codegen
