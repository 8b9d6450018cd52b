"""A witness program (circuits.dsl's ops, as circuits.solver packs them) run over Fr, and the
constraints its ops do not imply checked: the Python replay (circuits.dsl.CompiledCircuit.solve)
is this kernel's twin.

Wire values are (n, 4) Montgomery rows. A linear combination is a run of terms (wire,
coefficient): linear combination k is terms lc_start[k]..lc_start[k+1]−1, and op k's inputs are
linear combinations op_lc[k]..op_lc[k+1]−1. Poseidon's round constants and matrices for width t
start at rows rc_at[t] and mds_at[t] of `rc` and `mds`.
"""

import numpy as np
from numba import njit

from .batch import load_row, store_row
from .fields import FR_ONE, fr_add, fr_from_mont, fr_inv, fr_mul, is_zero

MUL, BITS, INVERSE, IS_ZERO, POSEIDON = range(5)
FULL_ROUNDS = 8  # circomlib's Poseidon, every width
_ZERO = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))


@njit(cache=True, nogil=True)
def _combination(values, k, lc_start, term_wire, term_coef):
    acc = _ZERO
    for t in range(lc_start[k], lc_start[k + 1]):
        acc = fr_add(acc, fr_mul(load_row(term_coef, t), load_row(values, term_wire[t])))
    return acc


@njit(cache=True, nogil=True)
def _sbox_wires(x, values, w, emit):
    """x⁵, with x², x⁴, x⁵ written from wire w if `emit`; returns (x⁵, next wire)."""
    x2 = fr_mul(x, x)
    x4 = fr_mul(x2, x2)
    x5 = fr_mul(x4, x)
    if emit:
        store_row(values, w, x2)
        store_row(values, w + 1, x4)
        store_row(values, w + 2, x5)
        return x5, w + 3
    return x5, w


@njit(cache=True, nogil=True)
def _poseidon(values, w, first_lc, t, constant_mask, every, lc_start, term_wire, term_coef, rc, rc_at, mds, mds_at):
    """circuits.gadgets.poseidon's hint: one permutation of [0, inputs], its wires from w on."""
    state = np.zeros((t, 4), dtype=np.uint64)
    mixed = np.empty((t, 4), dtype=np.uint64)
    for i in range(1, t):
        store_row(state, i, _combination(values, first_lc + i - 1, lc_start, term_wire, term_coef))
    constant = np.empty(t, dtype=np.bool_)
    for i in range(t):
        constant[i] = (constant_mask >> i) & 1 == 1
    rounds = (rc_at[t + 1] - rc_at[t]) // t
    half = FULL_ROUNDS // 2
    for r in range(rounds):
        for i in range(t):
            store_row(state, i, fr_add(load_row(state, i), load_row(rc, rc_at[t] + r * t + i)))
        full = r < half or r >= rounds - half
        for i in range(t if full else 1):
            x5, w = _sbox_wires(load_row(state, i), values, w, not constant[i])
            store_row(state, i, x5)
        if not full and every > 0 and (r - half + 1) % every == 0:
            for i in range(1, t):
                if not constant[i]:
                    store_row(values, w, load_row(state, i))
                    w += 1
        for i in range(t):
            acc = _ZERO
            for j in range(t):
                acc = fr_add(acc, fr_mul(load_row(mds, mds_at[t] + i * t + j), load_row(state, j)))
            store_row(mixed, i, acc)
        state[:, :] = mixed
        if not constant.all():
            constant[:] = False
    return w


@njit(cache=True, nogil=True)
def run_program(values, first, kinds, n_out, params, op_lc, lc_start, term_wire, term_coef, rc, rc_at, mds, mds_at):
    """Wires first.. of values ((n, 4) Montgomery, wires below `first` set), op by op; the wire after the last."""
    w = first
    for k in range(kinds.shape[0]):
        kind, lc = kinds[k], op_lc[k]
        if kind == MUL:
            a = _combination(values, lc, lc_start, term_wire, term_coef)
            store_row(values, w, fr_mul(a, _combination(values, lc + 1, lc_start, term_wire, term_coef)))
        elif kind == BITS:
            x = fr_from_mont(_combination(values, lc, lc_start, term_wire, term_coef))
            for i in range(params[k, 0]):
                bit = (x[i // 64] >> np.uint64(i % 64)) & np.uint64(1)
                store_row(values, w + i, FR_ONE if bit else _ZERO)
        elif kind == INVERSE:
            x = _combination(values, lc, lc_start, term_wire, term_coef)
            store_row(values, w, _ZERO if is_zero(x) else fr_inv(x))
        elif kind == IS_ZERO:
            store_row(values, w, FR_ONE if is_zero(_combination(values, lc, lc_start, term_wire, term_coef)) else _ZERO)
        else:
            t = op_lc[k + 1] - lc + 1
            end = _poseidon(values, w, lc, t, params[k, 0], params[k, 1], lc_start, term_wire, term_coef,
                            rc, rc_at, mds, mds_at)
            if end != w + n_out[k]:
                return -1  # the op's wire count disagrees with the circuit's: the caller raises
        w += n_out[k]
    return w


@njit(cache=True, nogil=True)
def first_unsatisfied(values, checks, lc_start, term_wire, term_coef):
    """The first row of checks ((k, 3): linear combinations a, b, c) with a·b ≠ c, or −1."""
    for k in range(checks.shape[0]):
        a = _combination(values, checks[k, 0], lc_start, term_wire, term_coef)
        b = _combination(values, checks[k, 1], lc_start, term_wire, term_coef)
        c = _combination(values, checks[k, 2], lc_start, term_wire, term_coef)
        ab = fr_mul(a, b)
        if ab[0] != c[0] or ab[1] != c[1] or ab[2] != c[2] or ab[3] != c[3]:
            return k
    return -1
