"""BN254 arithmetic: Fq multiply, G1/G2 scalar multiplication, G1 MSM — zkelig vs py_ecc, same run.

py_ecc's MSM time at 2^14 and 2^16 is extrapolated from its measured per-point cost
(one scalar multiplication and one addition per point), as running it would take minutes.
"""

from __future__ import annotations

import random
import time

from _common import median_time, report
from numba import njit
from py_ecc import optimized_bn128 as ob

from zkcore import field
from zkcore.curve import G1, G2
from zkcore.kernels import curve as kc
from zkcore.kernels.fields import fq_mul
from zkcore.msm import FixedBases
from zkcore.params import P, R


@njit(cache=True)
def _mul_chain(a, b, n):
    for _ in range(n):
        a = fq_mul(a, b)
    return a


def fq_mul_ns() -> float:
    a, b = field.fq_to_kernel(random.randrange(P)), field.fq_to_kernel(random.randrange(P))
    n = 2_000_000
    _mul_chain(a, b, 10)
    return median_time(lambda: _mul_chain(a, b, n), repeat=5) / n


def py_ecc_fq_mul() -> float:
    a, b = ob.FQ(random.randrange(P)), ob.FQ(random.randrange(P))
    n = 100_000

    def run():
        x = a
        for _ in range(n):
            x = x * b

    return median_time(run, repeat=3) / n


def main() -> None:
    rng = random.Random(1)
    k = rng.randrange(R)
    g1, g2 = G1.generator() * rng.randrange(R), G2.generator() * rng.randrange(R)
    rows = [("Fq multiply (dependent chain)", fq_mul_ns(), "py_ecc FQ", py_ecc_fq_mul(), "")]

    e1 = (ob.FQ(g1.x), ob.FQ(g1.y), ob.FQ.one())
    e2 = (ob.FQ2(list(g2.x)), ob.FQ2(list(g2.y)), ob.FQ2.one())
    ours1 = median_time(lambda: g1 * k, repeat=200)
    ours2 = median_time(lambda: g2 * k, repeat=100)
    peer1 = median_time(lambda: ob.multiply(e1, k), repeat=15)
    peer2 = median_time(lambda: ob.multiply(e2, k), repeat=7)
    rows += [("G1 scalar multiplication", ours1, "py_ecc", peer1, "API call incl. conversions")]
    rows += [("G2 scalar multiplication", ours2, "py_ecc", peer2, "API call incl. conversions")]

    # py_ecc per-point MSM cost: one multiplication plus one addition
    add_cost = median_time(lambda: ob.add(e1, e1), repeat=50)
    per_point = peer1 + add_cost
    table = kc.fixed_base_table(*G1.generator()._kernel())
    for log_n in (12, 14, 16):
        n = 1 << log_n
        points = kc.fixed_base_batch(table, field.ints_to_array([rng.randrange(1, R) for _ in range(n)]))  # distinct
        scalars = field.ints_to_array([rng.randrange(R) for _ in range(n)])
        c = kc.msm_window_bits(n)
        kc.msm(points[:64], scalars[:64], c)
        FixedBases(points[:64], budget=0)(scalars[:64])
        ours = median_time(lambda: FixedBases(points, budget=0)(scalars), repeat=7)  # zkcore.curve.msm's path
        scalar = median_time(lambda: kc.msm(points, scalars, c), repeat=3)
        if log_n == 12:
            subset = [(G1.generator() * rng.randrange(R)) for _ in range(64)]
            t = time.perf_counter()
            acc = None
            for p in subset:
                q = ob.multiply((ob.FQ(p.x), ob.FQ(p.y), ob.FQ.one()), rng.randrange(R))
                acc = q if acc is None else ob.add(acc, q)
            per_point = (time.perf_counter() - t) / 64
        rows.append((f"G1 MSM 2^{log_n} (both cores)", ours, "py_ecc (extrapolated)", per_point * n,
                     f"n × (mul + add); scalar kernel (no IFMA): {scalar * 1e3:.0f} ms"))
    report("BN254 curve arithmetic", rows)


if __name__ == "__main__":
    main()
