"""AVX-512 IFMA kernels (eight lanes of Fr, width-3 Poseidon) against Python ints and the scalar kernels."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit, types
from numba.extending import intrinsic

from zkcore import field
from zkcore.kernels import ifma, poseidon_ifma
from zkcore.kernels import poseidon as kpos
from zkcore.params import R
from zkcore.poseidon import _lane_kernel_constants, _sparse_kernel_params
from zkcore.poseidon_params import poseidon_params, sparse_permutation, sparse_poseidon

pytestmark = pytest.mark.skipif(not ifma.available(), reason="this CPU has no AVX-512 IFMA")

EDGES = [0, 1, 2, R - 1, R - 2, (1 << 52) - 1, 1 << 52, (1 << 253) + 12345, R >> 1]
fr = st.one_of(st.integers(min_value=0, max_value=R - 1), st.sampled_from(EDGES))


@intrinsic
def _ops_lanes(typingctx, xs, ys, out):
    """x·y, x + y, x⁵, x − y, −x − 2y (mod r) for eight lanes of standard-form inputs."""
    sig = types.void(xs, ys, out)

    def codegen(context, builder, signature, args):
        ptrs = [context.make_array(signature.args[k])(context, builder, args[k]).data for k in range(3)]
        v = ifma.VectorField(builder, R)
        x = v.into_montgomery(v.load_lanes(ptrs[0], 0))
        y = v.into_montgomery(v.load_lanes(ptrs[1], 0))
        for k, z in enumerate((v.mul(x, y), v.add(x, y), v.sbox(x), v.sub(x, y), v.sub(v.neg(x), v.dbl(y)))):
            v.store_lanes(ptrs[2], k * ifma.LIMBS * ifma.LANES, v.out_of_montgomery(z))
        return context.get_dummy_value()

    return sig, codegen


@njit  # not cached: numba would not notice a change to the intrinsic, which lives elsewhere
def _run_ops(xs, ys):
    out = np.zeros((5, ifma.LIMBS, ifma.LANES), dtype=np.uint64)
    _ops_lanes(xs, ys, out)
    return out


def _lanes(values):
    return np.array([[ifma.to_limbs(x)[k] for x in values] for k in range(ifma.LIMBS)], dtype=np.uint64)


def _from_lanes(arr):
    return [sum(int(arr[k, lane]) << (ifma.RADIX * k) for k in range(ifma.LIMBS)) for lane in range(ifma.LANES)]


@settings(max_examples=40, deadline=None)
@given(st.lists(fr, min_size=8, max_size=8), st.lists(fr, min_size=8, max_size=8))
def test_lane_arithmetic_matches_python_ints(xs, ys):
    out = _run_ops(_lanes(xs), _lanes(ys))
    assert _from_lanes(out[0]) == [x * y % R for x, y in zip(xs, ys)]
    assert _from_lanes(out[1]) == [(x + y) % R for x, y in zip(xs, ys)]
    assert _from_lanes(out[2]) == [pow(x, 5, R) for x in xs]
    assert _from_lanes(out[3]) == [(x - y) % R for x, y in zip(xs, ys)]
    assert _from_lanes(out[4]) == [(-x - 2 * y) % R for x, y in zip(xs, ys)]


def _python_poseidon2(a, b):
    return sparse_permutation([0, a, b], sparse_poseidon(3))[0]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 17, 70])
@pytest.mark.parametrize("parallel", [False, True])
def test_width3_lanes_match_the_python_permutation(n, parallel):
    rng = random.Random(n)
    pairs = [
        (rng.choice(EDGES), rng.randrange(R)) if i % 3 == 0 else (rng.randrange(R), rng.randrange(R)) for i in range(n)
    ]
    rows = np.stack([field.ints_to_array([a for a, _ in pairs]), field.ints_to_array([b for _, b in pairs])], axis=1)
    out = poseidon_ifma.hash_pairs3(rows, _lane_kernel_constants(), parallel)
    assert field.array_to_ints(out) == [_python_poseidon2(a, b) for a, b in pairs]


def test_width3_lanes_match_the_scalar_kernel_in_bulk():
    rng = random.Random(9)
    rows = np.stack([field.ints_to_array([rng.randrange(R) for _ in range(3000)]) for _ in range(2)], axis=1)
    ours = poseidon_ifma.hash_pairs3(rows, _lane_kernel_constants(), True)
    assert np.array_equal(ours, kpos.hash_pairs3(rows, *_sparse_kernel_params(3), True))


def test_the_kernel_is_compiled_for_circomlibs_round_counts():
    params = poseidon_params(3)
    assert poseidon_ifma.ROUNDS == (params.full_rounds, params.partial_rounds)
