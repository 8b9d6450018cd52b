"""Field operations dispatched on the limb-tuple type, so curve code is written once for G1 and G2.

An Fq element is `UniTuple(uint64, 4)`, an Fq2 element is a pair of those; numba resolves each
`f_*` call at compile time, so the generic curve kernels cost nothing over hand-specialised ones.
The same holds for `load_*`/`store_*`, which move points between uint64 arrays and tuples:
G1 arrays end in (…, 4), G2 arrays in (…, 2, 4).
"""

from numba import types
from numba.extending import overload

from .fields import FQ_ONE, FQ_ZERO, fq_add, fq_dbl, fq_inv, fq_mul, fq_neg, fq_sqr, fq_sub, is_zero, limbs_eq
from .tower import FQ2_ONE, FQ2_ZERO, fq2_add, fq2_dbl, fq2_inv, fq2_mul, fq2_neg, fq2_sqr, fq2_sub

_FQ = types.UniTuple(types.uint64, 4)
_FQ2 = types.UniTuple(_FQ, 2)


def _pick(a, fq_impl, fq2_impl):
    if a == _FQ:
        return fq_impl
    if a == _FQ2:
        return fq2_impl
    return None


def _generic(name, fq_impl, fq2_impl):
    """A function that, inside numba code, calls fq_impl or fq2_impl by its first argument's type."""
    arity = fq_impl.__code__.co_argcount

    def stub(*args):
        raise TypeError(f"{name} is only callable from numba-compiled code")

    stub.__name__ = name
    if arity == 1:

        @overload(stub)
        def _impl1(a):
            return _pick(a, fq_impl, fq2_impl)

    else:

        @overload(stub)
        def _impl2(a, b):
            return _pick(a, fq_impl, fq2_impl)

    return stub


def _fq_add(a, b): return fq_add(a, b)
def _fq2_add(a, b): return fq2_add(a, b)
def _fq_sub(a, b): return fq_sub(a, b)
def _fq2_sub(a, b): return fq2_sub(a, b)
def _fq_mul(a, b): return fq_mul(a, b)
def _fq2_mul(a, b): return fq2_mul(a, b)
def _fq_sqr(a): return fq_sqr(a)
def _fq2_sqr(a): return fq2_sqr(a)
def _fq_dbl(a): return fq_dbl(a)
def _fq2_dbl(a): return fq2_dbl(a)
def _fq_neg(a): return fq_neg(a)
def _fq2_neg(a): return fq2_neg(a)
def _fq_inv(a): return fq_inv(a)
def _fq2_inv(a): return fq2_inv(a)
def _fq_is_zero(a): return is_zero(a)
def _fq2_is_zero(a): return is_zero(a[0]) and is_zero(a[1])
def _fq_eq(a, b): return limbs_eq(a, b)
def _fq2_eq(a, b): return limbs_eq(a[0], b[0]) and limbs_eq(a[1], b[1])
def _fq_zero(a): return FQ_ZERO
def _fq2_zero(a): return FQ2_ZERO
def _fq_one(a): return FQ_ONE
def _fq2_one(a): return FQ2_ONE


f_add = _generic("f_add", _fq_add, _fq2_add)
f_sub = _generic("f_sub", _fq_sub, _fq2_sub)
f_mul = _generic("f_mul", _fq_mul, _fq2_mul)
f_sqr = _generic("f_sqr", _fq_sqr, _fq2_sqr)
f_dbl = _generic("f_dbl", _fq_dbl, _fq2_dbl)
f_neg = _generic("f_neg", _fq_neg, _fq2_neg)
f_inv = _generic("f_inv", _fq_inv, _fq2_inv)
f_is_zero = _generic("f_is_zero", _fq_is_zero, _fq2_is_zero)
f_eq = _generic("f_eq", _fq_eq, _fq2_eq)
f_zero_like = _generic("f_zero_like", _fq_zero, _fq2_zero)
f_one_like = _generic("f_one_like", _fq_one, _fq2_one)


# --- array <-> tuple ------------------------------------------------------------------------


def load_fe(arr, idx):
    """The field element at arr[idx] (idx a tuple of leading indices)."""
    raise TypeError("load_fe is only callable from numba-compiled code")


def store_fe(arr, idx, value):
    raise TypeError("store_fe is only callable from numba-compiled code")


@overload(load_fe)
def _load_fe(arr, idx):
    if arr.ndim == len(idx) + 1:
        return lambda arr, idx: (arr[idx][0], arr[idx][1], arr[idx][2], arr[idx][3])
    if arr.ndim == len(idx) + 2:

        def load2(arr, idx):
            v = arr[idx]
            return ((v[0, 0], v[0, 1], v[0, 2], v[0, 3]), (v[1, 0], v[1, 1], v[1, 2], v[1, 3]))

        return load2
    return None


@overload(store_fe)
def _store_fe(arr, idx, value):
    if value == _FQ:

        def store1(arr, idx, value):
            v = arr[idx]
            for k in range(4):
                v[k] = value[k]

        return store1
    if value == _FQ2:

        def store2(arr, idx, value):
            v = arr[idx]
            for h in range(2):
                for k in range(4):
                    v[h, k] = value[h][k]

        return store2
    return None
